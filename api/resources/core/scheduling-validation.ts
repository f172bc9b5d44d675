// Scheduling-related PodSpec validation: affinity, tolerations, topology spread, scheduling gates.
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabelName, validateLabelSelector } from '../../validation/label-selector.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../../validation/names.ts';
import { at, idx, isObj, objs, str, strs, type J } from './json.ts';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Upstream's validateTaintEffect (Nodes require an effect; tolerations may leave it empty). */
export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: string): FieldError[] {
  if (!allowEmpty && !effect) return [fieldErrors.required(path)];
  return TAINT_EFFECTS.includes(str(effect)) ? [] : [fieldErrors.notSupported(path, effect ?? '', TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  objs(tolerations).forEach((t, i) => {
    const tp = idx(path, i);
    const k = str(t.key);
    const op = str(t.operator);
    if (k) errs.push(...validateLabelName(k, at(tp, 'key')));
    if (!k && op !== 'Exists') {
      errs.push(fieldErrors.invalid(at(tp, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(fieldErrors.invalid(at(tp, 'effect'), str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    const value = str(t.value);
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length) errs.push(fieldErrors.invalid(at(tp, 'operator'), value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value) errs.push(fieldErrors.invalid(at(tp, 'operator'), value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(fieldErrors.notSupported(at(tp, 'operator'), op, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateTaintEffect(t.effect, true, at(tp, 'effect')));
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: J, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = strs(rq.values);
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fieldErrors.required(at(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(fieldErrors.forbidden(at(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(fieldErrors.required(at(path, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fieldErrors.invalid(at(path, 'operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key), at(path, 'key')));
  if (checkValues) values.forEach((v, i) => errs.push(...isValidLabelValue(v).map((m) => fieldErrors.invalid(idx(at(path, 'values'), i), v, m))));
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: J, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = strs(rq.values);
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1) errs.push(fieldErrors.required(at(path, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(fieldErrors.invalid(at(path, 'operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  if (rq.key !== 'metadata.name') errs.push(fieldErrors.invalid(at(path, 'key'), rq.key ?? '', 'not a valid field selector key'));
  else values.forEach((v, i) => errs.push(...isDNS1123Subdomain(v).map((m) => fieldErrors.invalid(idx(at(path, 'values'), i), v, m))));
  return errs;
}

export function validateNodeSelectorTerm(term: J, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  objs(term.matchExpressions).forEach((rq, j) => errs.push(...validateNodeSelectorRequirement(rq, idx(at(path, 'matchExpressions'), j), checkValues)));
  objs(term.matchFields).forEach((rq, j) => errs.push(...validateNodeFieldSelectorRequirement(rq, idx(at(path, 'matchFields'), j))));
  return errs;
}

/** A required NodeSelector (node affinity, PV node affinity): at least one term. */
export function validateNodeSelector(sel: J, path: string): FieldError[] {
  const terms = objs(sel.nodeSelectorTerms);
  const tp = at(path, 'nodeSelectorTerms');
  if (terms.length === 0) return [fieldErrors.required(tp, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, idx(tp, i), true));
}

function validateWeight(w: unknown, path: string): FieldError[] {
  const n = typeof w === 'number' ? w : 0;
  return n <= 0 || n > 100 ? [fieldErrors.invalid(path, n, 'must be in the range 1-100')] : [];
}

function validatePodAffinityTerm(term: J, path: string): FieldError[] {
  const errs = [
    ...validateLabelSelector(term.labelSelector, at(path, 'labelSelector')),
    ...validateLabelSelector(term.namespaceSelector, at(path, 'namespaceSelector')),
  ];
  for (const ns of strs(term.namespaces)) errs.push(...isDNS1123Label(ns).map((m) => fieldErrors.invalid(at(path, 'namespace'), ns, m)));
  const match = strs(term.matchLabelKeys);
  const mismatch = strs(term.mismatchLabelKeys);
  for (const [field, keys] of [['matchLabelKeys', match], ['mismatchLabelKeys', mismatch]] as const) {
    if (keys.length === 0) continue;
    if (!isObj(term.labelSelector)) errs.push(fieldErrors.forbidden(at(path, field), 'must not be specified when labelSelector is not set'));
    else keys.forEach((k, i) => errs.push(...validateLabelName(k, idx(at(path, field), i))));
  }
  match.forEach((k, i) => {
    if (mismatch.includes(k)) errs.push(fieldErrors.invalid(idx(at(path, 'matchLabelKeys'), i), k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  const topologyKey = str(term.topologyKey);
  if (!topologyKey) errs.push(fieldErrors.required(at(path, 'topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(topologyKey, at(path, 'topologyKey')));
  return errs;
}

function validatePodAffinityLike(a: J, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const req = 'requiredDuringSchedulingIgnoredDuringExecution';
  const pref = 'preferredDuringSchedulingIgnoredDuringExecution';
  objs(a[req]).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, idx(at(path, req), i))));
  objs(a[pref]).forEach((t, i) => {
    const tp = idx(at(path, pref), i);
    errs.push(...validateWeight(t.weight, at(tp, 'weight')));
    errs.push(...validatePodAffinityTerm(isObj(t.podAffinityTerm) ? t.podAffinityTerm : {}, at(tp, 'podAffinityTerm')));
  });
  return errs;
}

export function validateAffinity(affinity: unknown, path: string): FieldError[] {
  if (!isObj(affinity)) return [];
  const errs: FieldError[] = [];
  if (isObj(affinity.nodeAffinity)) {
    const na = affinity.nodeAffinity;
    const np = at(path, 'nodeAffinity');
    if (isObj(na.requiredDuringSchedulingIgnoredDuringExecution)) {
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, at(np, 'requiredDuringSchedulingIgnoredDuringExecution')));
    }
    objs(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const tp = idx(at(np, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      errs.push(...validateWeight(t.weight, at(tp, 'weight')));
      // Preferred terms tolerate invalid label values, as upstream.
      errs.push(...validateNodeSelectorTerm(isObj(t.preference) ? t.preference : {}, at(tp, 'preference'), false));
    });
  }
  if (isObj(affinity.podAffinity)) errs.push(...validatePodAffinityLike(affinity.podAffinity, at(path, 'podAffinity')));
  if (isObj(affinity.podAntiAffinity)) errs.push(...validatePodAffinityLike(affinity.podAntiAffinity, at(path, 'podAntiAffinity')));
  return errs;
}

export function validateTopologySpreadConstraints(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const constraints = objs(list);
  constraints.forEach((c, i) => {
    const cp = idx(path, i);
    const maxSkew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (maxSkew <= 0) errs.push(fieldErrors.invalid(at(cp, 'maxSkew'), maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(fieldErrors.required(at(cp, 'topologyKey'), 'can not be empty'));
    const actions = ['DoNotSchedule', 'ScheduleAnyway'];
    if (!actions.includes(str(c.whenUnsatisfiable))) errs.push(fieldErrors.notSupported(at(cp, 'whenUnsatisfiable'), str(c.whenUnsatisfiable), actions));
    const dup = constraints.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable);
    if (dup) errs.push(fieldErrors.duplicate(at(cp, '{topologyKey, whenUnsatisfiable}'), `{${str(c.topologyKey)}, ${str(c.whenUnsatisfiable)}}`));
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (c.minDomains <= 0) errs.push(fieldErrors.invalid(at(cp, 'minDomains'), c.minDomains, 'must be greater than zero'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(fieldErrors.invalid(at(cp, 'minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${str(c.whenUnsatisfiable)}`));
      }
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (c[f] !== undefined && c[f] !== null && !['Honor', 'Ignore'].includes(c[f])) errs.push(fieldErrors.notSupported(at(cp, f), c[f], ['Honor', 'Ignore']));
    }
    const keys = strs(c.matchLabelKeys);
    if (keys.length) {
      const selectorKeys = new Set<string>();
      if (isObj(c.labelSelector)) {
        for (const k of Object.keys(isObj(c.labelSelector.matchLabels) ? c.labelSelector.matchLabels : {})) selectorKeys.add(k);
        for (const e of objs(c.labelSelector.matchExpressions)) selectorKeys.add(str(e.key));
      } else {
        errs.push(fieldErrors.forbidden(at(cp, 'matchLabelKeys'), 'must not be specified when labelSelector is not set'));
      }
      keys.forEach((k, j) => {
        errs.push(...validateLabelName(k, idx(at(cp, 'matchLabelKeys'), j)));
        if (selectorKeys.has(k)) errs.push(fieldErrors.invalid(idx(at(cp, 'matchLabelKeys'), j), k, 'exists in both matchLabelKeys and labelSelector'));
      });
    }
    errs.push(...validateLabelSelector(c.labelSelector, at(cp, 'labelSelector')));
  });
  return errs;
}

export function validateSchedulingGates(gates: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objs(gates).forEach((g, i) => {
    const name = str(g.name);
    errs.push(...isQualifiedName(name).map((m) => fieldErrors.invalid(idx(path, i), name, m)));
    if (seen.has(name)) errs.push(fieldErrors.duplicate(idx(path, i), name));
    seen.add(name);
  });
  return errs;
}
