// A deterministic in-memory world for Deployment tests: one Deployment, its ReplicaSets and
// pods, driven by the pure cores (reconcileDeployment, reconcileReplicaSet) the way the
// controllers drive them, with a "kubelet" that makes pods ready one at a time.
import { isPodActive, isPodAvailable, isPodReady, podFromTemplate, type Pod } from '../runtime/pods.ts';
import { getControllerOf, newControllerRef } from '../runtime/controller-ref.ts';
import { rfc3339 } from '../runtime/types.ts';
import { calculateReplicaSetStatus, reconcileReplicaSet } from '../replicaset/replicaset.ts';
import { reconcileDeployment, type DeploymentPlan } from './sync.ts';
import type { Deployment, RS } from './util.ts';

export const T0 = Date.parse('2024-01-01T00:00:00Z');

export class World {
  now = T0;
  private seq = 0;
  d: Deployment;
  rss: RS[] = [];
  pods: Pod[] = [];
  /** `<type> <reason> <message>` of every event the Deployment controller recorded. */
  events: string[] = [];
  plans: DeploymentPlan[] = [];

  constructor(spec: Deployment['spec'], name = 'web') {
    this.d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'ns', uid: 'd-uid', generation: 1, creationTimestamp: rfc3339(new Date(T0)) },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        ...structuredClone(spec),
      },
      status: {},
    };
  }

  private uid(prefix: string): string {
    return `${prefix}-${++this.seq}`;
  }

  /** Changes the Deployment's spec as a user would (generation + 1). */
  edit(fn: (spec: NonNullable<Deployment['spec']>) => void): void {
    fn(this.d.spec!);
    this.d.metadata!.generation! += 1;
  }

  setImage(image: string): void {
    this.edit((s) => {
      (s.template!.spec!.containers as { image: string }[])[0]!.image = image;
    });
  }

  podsOf(rs: RS): Pod[] {
    return this.pods.filter((p) => getControllerOf(p)?.uid === rs.metadata?.uid);
  }

  /** One Deployment sync, its writes applied. */
  syncDeployment(): DeploymentPlan {
    const podMap = new Map(this.rss.map((rs) => [rs.metadata!.uid!, this.podsOf(rs)]));
    const plan = reconcileDeployment({ deployment: structuredClone(this.d), replicaSets: structuredClone(this.rss), podMap, now: this.now });
    this.plans.push(plan);
    for (const ev of plan.events) this.events.push(`${ev.type} ${ev.reason} ${ev.message}`);
    for (const op of plan.ops) {
      switch (op.op) {
        case 'createReplicaSet': {
          if (this.rss.some((r) => r.metadata!.name === op.rs.metadata!.name)) throw new Error(`AlreadyExists ${op.rs.metadata!.name}`);
          const rs = structuredClone(op.rs);
          Object.assign(rs.metadata!, { uid: this.uid('rs'), generation: 1, creationTimestamp: rfc3339(new Date(this.now)) });
          rs.status = { replicas: 0 };
          this.rss.push(rs);
          break;
        }
        case 'updateReplicaSet': {
          const cur = this.rss.find((r) => r.metadata!.name === op.rs.metadata!.name)!;
          const gen = cur.metadata!.generation! + (JSON.stringify(cur.spec) !== JSON.stringify(op.rs.spec) ? 1 : 0);
          cur.metadata = { ...structuredClone(op.rs.metadata!), uid: cur.metadata!.uid, generation: gen, creationTimestamp: cur.metadata!.creationTimestamp };
          cur.spec = structuredClone(op.rs.spec);
          break;
        }
        case 'deleteReplicaSet': {
          const uid = op.rs.metadata!.uid;
          this.rss = this.rss.filter((r) => r.metadata!.uid !== uid);
          this.pods = this.pods.filter((p) => getControllerOf(p)?.uid !== uid);
          break;
        }
        case 'updateStatus':
          this.d.status = structuredClone(op.deployment.status);
          this.d.metadata!.annotations = structuredClone(op.deployment.metadata!.annotations);
          break;
      }
      const ev = 'event' in op ? op.event : undefined;
      if (ev) this.events.push(`${ev.type} ${ev.reason} ${ev.message}`);
    }
    return plan;
  }

  /** One ReplicaSet controller sync of every ReplicaSet (create/delete, then status). */
  syncReplicaSets(): void {
    const related = this.pods.filter(isPodActive);
    for (const rs of this.rss) {
      const owned = this.podsOf(rs).filter(isPodActive);
      const r = reconcileReplicaSet(rs, owned, this.now, { relatedPods: related });
      for (let i = 0; i < r.create; i++) {
        const p = podFromTemplate(rs.spec!.template, rs.metadata!.name!, newControllerRef(rs, 'apps/v1', 'ReplicaSet'));
        Object.assign(p.metadata!, { name: `${rs.metadata!.name}-${this.seq + 1}`, namespace: 'ns', uid: this.uid('pod'), creationTimestamp: rfc3339(new Date(this.now)) });
        p.status = { phase: 'Pending' };
        this.pods.push(p);
      }
      const doomed = new Set(r.delete.map((p) => p.metadata!.uid));
      this.pods = this.pods.filter((p) => !doomed.has(p.metadata!.uid));
      rs.status = calculateReplicaSetStatus(rs, this.podsOf(rs).filter(isPodActive), undefined, this.now);
    }
  }

  /** The kubelet starts one pending pod: scheduled, Running and Ready now. */
  readyOne(pick = 0): boolean {
    const pending = this.pods.filter((p) => !isPodReady(p));
    if (!pending.length) return false;
    const p = pending[pick % pending.length]!;
    p.spec = { ...p.spec, nodeName: `node-${pick % 3}` };
    p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(new Date(this.now)) }] };
    return true;
  }

  tick(ms = 1000): void {
    this.now += ms;
  }

  /** Pods available for the Deployment's minReadySeconds. */
  availablePods(): number {
    return this.pods.filter((p) => isPodActive(p) && isPodAvailable(p, this.d.spec?.minReadySeconds ?? 0, this.now)).length;
  }

  specTotal(): number {
    return this.rss.reduce((s, rs) => s + (rs.spec?.replicas ?? 0), 0);
  }

  /** Drives everything until nothing changes (pods made ready as they appear), for up to `steps`. */
  settle(steps = 200): void {
    for (let i = 0; i < steps; i++) {
      const before = JSON.stringify([this.d, this.rss, this.pods]);
      try {
        this.syncDeployment();
      } catch (err) {
        // A stale ReplicaSet status (more available than desired): upstream errors and retries too.
        if (!/invalid request to scale down/.test((err as Error).message)) throw err;
      }
      this.syncReplicaSets();
      while (this.readyOne()) {
        /* all ready */
      }
      this.tick(1000 + (this.d.spec?.minReadySeconds ?? 0) * 1000);
      this.syncReplicaSets();
      if (JSON.stringify([this.d, this.rss, this.pods]) === before) return;
    }
    throw new Error('the world did not settle');
  }

  rsByRevision(): Record<string, { replicas: number; name: string; history?: string }> {
    const out: Record<string, { replicas: number; name: string; history?: string }> = {};
    for (const rs of this.rss) {
      const a = rs.metadata!.annotations ?? {};
      out[a['deployment.kubernetes.io/revision'] ?? '?'] = { replicas: rs.spec?.replicas ?? 0, name: rs.metadata!.name!, ...(a['deployment.kubernetes.io/revision-history'] ? { history: a['deployment.kubernetes.io/revision-history'] } : {}) };
    }
    return out;
  }
}
