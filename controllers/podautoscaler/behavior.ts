// From the metrics' desired count to the count the HPA sets, pure over an explicit history
// (upstream's normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors in
// horizontal.go): stabilization over recent recommendations (scale-down window 5 min by
// default, spec.behavior's windows when set), the rate limits of spec.behavior's policies (or,
// without behavior, at most max(2 × current, 4)), and min/maxReplicas; with the AbleToScale
// and ScalingLimited conditions that explain the outcome.

export interface HPAScalingPolicy {
  type: 'Pods' | 'Percent' | string;
  value: number;
  periodSeconds: number;
}

export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled' | string;
  policies?: HPAScalingPolicy[];
}

export interface HPABehavior {
  scaleUp?: HPAScalingRules;
  scaleDown?: HPAScalingRules;
}

export interface Recommendation {
  replicas: number;
  timestamp: number;
}

export interface ScaleEvent {
  /** Replicas added (scale-up events) or removed (scale-down events). */
  replicaChange: number;
  timestamp: number;
  outdated: boolean;
}

/** What the controller remembers per HPA between syncs (upstream keeps these in maps by key). */
export interface ScalingHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export function newHistory(): ScalingHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

export interface ConditionChange {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface Normalized {
  replicas: number;
  conditions: ConditionChange[];
}

export interface NormalizeArgs {
  currentReplicas: number;
  /** What the metrics ask for. */
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  now: number;
  /** The default scale-down stabilization window (the controller's, 5 min upstream). */
  downscaleStabilizationMs: number;
}

const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

export function recordInitialRecommendation(h: ScalingHistory, currentReplicas: number, now: number): void {
  if (h.recommendations.length === 0) h.recommendations.push({ replicas: currentReplicas, timestamp: now });
}

const readyForNewScale: ConditionChange = { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

function limited(replicas: number, stabilized: number, reason: string, message: string): ConditionChange {
  return { type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', reason, message };
}

/** Without spec.behavior: the highest recommendation of the scale-down window, within min, max and max(2 × current, 4). */
export function normalizeDesiredReplicas(h: ScalingHistory, a: NormalizeArgs): Normalized {
  // stabilizeRecommendation: the highest recent recommendation; the oldest outdated slot is reused.
  const cutoff = a.now - a.downscaleStabilizationMs;
  let stabilized = a.desiredReplicas;
  let old = -1;
  h.recommendations.forEach((rec, i) => {
    if (rec.timestamp < cutoff) old = i;
    else if (rec.replicas > stabilized) stabilized = rec.replicas;
  });
  const rec = { replicas: a.desiredReplicas, timestamp: a.now };
  if (old >= 0) h.recommendations[old] = rec;
  else h.recommendations.push(rec);
  const able: ConditionChange =
    stabilized !== a.desiredReplicas
      ? { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
      : readyForNewScale;

  // convertDesiredReplicasWithRules
  const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * a.currentReplicas, SCALE_UP_LIMIT_MINIMUM);
  let max = a.maxReplicas;
  let reason = 'TooManyReplicas';
  let message = 'the desired replica count is more than the maximum replica count';
  if (a.maxReplicas > scaleUpLimit) {
    max = scaleUpLimit;
    reason = 'ScaleUpLimit';
    message = 'the desired replica count is increasing faster than the maximum scale rate';
  }
  let replicas = stabilized;
  if (stabilized < a.minReplicas) {
    replicas = a.minReplicas;
    reason = 'TooFewReplicas';
    message = 'the desired replica count is less than the minimum replica count';
  } else if (stabilized > max) replicas = max;
  else {
    reason = 'DesiredWithinRange';
    message = 'the desired count is within the acceptable range';
  }
  return { replicas, conditions: [able, limited(replicas, stabilized, reason, message)] };
}

/** The behavior with the controller's default scale-down window where the spec leaves it out (maybeInitScaleDownStabilizationWindow). */
function rulesOf(b: HPABehavior, downscaleStabilizationMs: number): { up: Required<HPAScalingRules>; down: Required<HPAScalingRules> } {
  const fill = (r: HPAScalingRules | undefined, window: number): Required<HPAScalingRules> => ({
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? window,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [],
  });
  return { up: fill(b.scaleUp, 0), down: fill(b.scaleDown, Math.round(downscaleStabilizationMs / 1000)) };
}

/** Replicas added (or removed) by the events of the last periodSeconds. */
function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let n = 0;
  for (const e of events) if (e.timestamp > cutoff) n += e.replicaChange;
  return n;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the scale-up policies allow now. */
export function scaleUpLimit(current: number, h: ScalingHistory, rules: Required<HPAScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const min = rules.selectPolicy === 'Min';
  let result = min ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, h.scaleUpEvents, now) + changeInPeriod(p.periodSeconds, h.scaleDownEvents, now);
    const proposed = p.type === 'Pods' ? start + p.value : p.type === 'Percent' ? Math.ceil(start * (1 + p.value / 100)) : start;
    result = min ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the scale-down policies allow now. */
export function scaleDownLimit(current: number, h: ScalingHistory, rules: Required<HPAScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const min = rules.selectPolicy === 'Min';
  let result = min ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, h.scaleUpEvents, now) + changeInPeriod(p.periodSeconds, h.scaleDownEvents, now);
    const proposed = p.type === 'Pods' ? start - p.value : p.type === 'Percent' ? Math.trunc(start * (1 - p.value / 100)) : start;
    result = min ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** With spec.behavior: stabilized between the windows' lowest and highest recommendations, then rate-limited by the policies. */
export function normalizeDesiredReplicasWithBehaviors(h: ScalingHistory, behavior: HPABehavior, a: NormalizeArgs): Normalized {
  const { up, down } = rulesOf(behavior, a.downscaleStabilizationMs);
  // stabilizeRecommendationWithBehaviors
  const upCutoff = a.now - up.stabilizationWindowSeconds * 1000;
  const downCutoff = a.now - down.stabilizationWindowSeconds * 1000;
  let upRec = a.desiredReplicas;
  let downRec = a.desiredReplicas;
  let old = -1;
  h.recommendations.forEach((rec, i) => {
    if (rec.timestamp > upCutoff) upRec = Math.min(rec.replicas, upRec);
    if (rec.timestamp > downCutoff) downRec = Math.max(rec.replicas, downRec);
    if (rec.timestamp < upCutoff && rec.timestamp < downCutoff) old = i;
  });
  const stabilized = Math.min(Math.max(a.currentReplicas, upRec), downRec);
  const rec = { replicas: a.desiredReplicas, timestamp: a.now };
  if (old >= 0) h.recommendations[old] = rec;
  else h.recommendations.push(rec);
  let able = readyForNewScale;
  if (stabilized !== a.desiredReplicas) {
    able =
      a.desiredReplicas >= a.currentReplicas
        ? { type: 'AbleToScale', status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }

  // convertDesiredReplicasWithBehaviorRate
  let replicas = stabilized;
  let reason = 'DesiredWithinRange';
  let message = 'the desired count is within the acceptable range';
  if (stabilized > a.currentReplicas) {
    const limit = Math.max(scaleUpLimit(a.currentReplicas, h, up, a.now), a.currentReplicas);
    const max = Math.min(a.maxReplicas, limit);
    if (stabilized > max) {
      replicas = max;
      [reason, message] =
        a.maxReplicas > limit
          ? ['ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
          : ['TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    }
  } else if (stabilized < a.currentReplicas) {
    const limit = Math.min(scaleDownLimit(a.currentReplicas, h, down, a.now), a.currentReplicas);
    const min = Math.max(a.minReplicas, limit);
    if (stabilized < min) {
      replicas = min;
      [reason, message] =
        a.minReplicas < limit
          ? ['ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
          : ['TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    }
  }
  return { replicas, conditions: [able, limited(replicas, stabilized, reason, message)] };
}

/** storeScaleEvent: remembers a rescale for the policies' periods (with spec.behavior only), reusing an outdated slot. */
export function storeScaleEvent(h: ScalingHistory, behavior: HPABehavior | undefined, now: number, prev: number, next: number): void {
  if (!behavior) return;
  const up = next > prev;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const longest = Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds));
  const events = up ? h.scaleUpEvents : h.scaleDownEvents;
  const cutoff = now - longest * 1000;
  let old = -1;
  events.forEach((e, i) => {
    if (e.timestamp < cutoff) e.outdated = true;
    if (e.outdated) old = i;
  });
  const event = { replicaChange: Math.abs(next - prev), timestamp: now, outdated: false };
  if (old >= 0) events[old] = event;
  else events.push(event);
}
