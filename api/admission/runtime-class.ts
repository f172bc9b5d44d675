// The RuntimeClass admission plugin (upstream plugin/pkg/admission/runtimeclass), on pod creation:
// - mutating (admitRuntimeClass): a pod naming a RuntimeClass that does not exist is Forbidden;
//   the class's overhead.podFixed becomes spec.overhead (an overhead the pod set that differs is
//   Forbidden); its scheduling.nodeSelector merges into the pod's (a different value for a key the
//   pod sets is Forbidden) and its tolerations merge with the pod's (MergeTolerations);
// - validating (validatePodOverhead, after the pod's own validation): spec.overhead is the class's
//   overhead exactly, and a pod without such a class sets none.
import type { KubeObject } from '../registry/descriptor.ts';
import { compareQuantity, tryParseQuantity } from '../validation/quantity.ts';
import { forbidden } from './priority.ts';

type Json = Record<string, unknown>;
type Toleration = { key?: unknown; operator?: unknown; value?: unknown; effect?: unknown; tolerationSeconds?: unknown };

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSet = (v: unknown) => v !== undefined && v !== null;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Reads a RuntimeClass by name (undefined when there is none). */
export type RuntimeClassLookup = (name: string) => Promise<KubeObject | undefined>;

function specOf(pod: KubeObject): Json | undefined {
  return isObj(pod.spec) ? pod.spec : undefined;
}

/** Semantic equality of two ResourceLists: the same names, each quantity equal (nil and empty alike). */
function sameResources(a: unknown, b: unknown): boolean {
  const x = isObj(a) ? a : {};
  const y = isObj(b) ? b : {};
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => {
    if (!(k in y)) return false;
    const qa = tryParseQuantity(x[k]);
    const qb = tryParseQuantity(y[k]);
    return qa && qb ? compareQuantity(qa, qb) === 0 : x[k] === y[k];
  });
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    str(a.key) === str(b.key) &&
    str(a.operator) === str(b.operator) &&
    str(a.value) === str(b.value) &&
    str(a.effect) === str(b.effect) &&
    (isSet(a.tolerationSeconds) ? a.tolerationSeconds : null) === (isSet(b.tolerationSeconds) ? b.tolerationSeconds : null)
  );
}

/** isSuperset: whether `ss` tolerates every taint `t` tolerates. */
function isSuperset(ss: Toleration, t: Toleration): boolean {
  if (sameToleration(ss, t)) return true;
  // An empty key with Exists matches all keys and values.
  if (str(t.key) !== str(ss.key) && (str(ss.key) !== '' || ss.operator !== 'Exists')) return false;
  // An empty effect matches all effects.
  if (str(t.effect) !== str(ss.effect) && str(ss.effect) !== '') return false;
  if (ss.effect === 'NoExecute' && typeof ss.tolerationSeconds === 'number') {
    if (typeof t.tolerationSeconds !== 'number' || t.tolerationSeconds > ss.tolerationSeconds) return false;
  }
  switch (str(ss.operator)) {
    case 'Equal':
    case '':
      return t.operator === 'Equal' && str(t.value) === str(ss.value);
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** util/tolerations.MergeTolerations: both lists, keeping only a superset where one covers another. */
export function mergeTolerations(first: Toleration[], second: Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  all.forEach((t, i) => {
    if (merged.some((m) => isSuperset(m, t))) return;
    // Of equal tolerations the first is kept.
    if (all.slice(i + 1).some((later) => !sameToleration(t, later) && isSuperset(later, t))) return;
    merged.push(t);
  });
  return merged;
}

function setOverhead(spec: Json, rc: KubeObject, podName: string): void {
  if (!isSet(rc.overhead)) return;
  const podFixed = isObj(rc.overhead) ? rc.overhead.podFixed : undefined;
  if (isSet(spec.overhead) && !sameResources(podFixed, spec.overhead)) {
    throw forbidden('pods', '', podName, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
  }
  if (isObj(podFixed)) spec.overhead = { ...podFixed };
  else delete spec.overhead;
}

function setScheduling(spec: Json, rc: KubeObject, podName: string): void {
  if (!isObj(rc.scheduling)) return;
  const classSelector = isObj(rc.scheduling.nodeSelector) ? rc.scheduling.nodeSelector : undefined;
  if (!isObj(spec.nodeSelector)) {
    if (classSelector) spec.nodeSelector = { ...classSelector };
    else delete spec.nodeSelector;
  } else {
    const podSelector = spec.nodeSelector;
    for (const key of Object.keys(classSelector ?? {}).sort()) {
      const value = str(classSelector![key]);
      if (key in podSelector && str(podSelector[key]) !== value) {
        throw forbidden('pods', '', podName, `conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${value}; pod.spec.nodeSelector[${key}] = ${str(podSelector[key])}`);
      }
      podSelector[key] = value;
    }
  }
  const podTolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as Toleration[]) : [];
  const classTolerations = Array.isArray(rc.scheduling.tolerations) ? (rc.scheduling.tolerations as Toleration[]) : [];
  const merged = mergeTolerations(podTolerations, classTolerations);
  if (merged.length) spec.tolerations = merged;
  else delete spec.tolerations;
}

/**
 * Admit: resolves spec.runtimeClassName and applies the class to the pod. Returns the class for
 * validatePodOverhead. `podName` names the pod in errors (its generateName when still to be generated).
 */
export async function admitRuntimeClass(pod: KubeObject, lookup: RuntimeClassLookup, podName: string): Promise<KubeObject | undefined> {
  const spec = specOf(pod);
  if (!spec || typeof spec.runtimeClassName !== 'string') return undefined;
  const name = spec.runtimeClassName;
  const rc = await lookup(name);
  if (!rc) throw forbidden('pods', '', podName, `pod rejected: RuntimeClass ${JSON.stringify(name)} not found`);
  setOverhead(spec, rc, podName);
  setScheduling(spec, rc, podName);
  return rc;
}

/** Validate: the pod's overhead is exactly its class's, or unset when the class defines none. */
export function validatePodOverhead(pod: KubeObject, rc: KubeObject | undefined, podName: string): void {
  const spec = specOf(pod);
  if (!spec) return;
  if (rc && isSet(rc.overhead)) {
    const podFixed = isObj(rc.overhead) ? rc.overhead.podFixed : undefined;
    if (!sameResources(podFixed, spec.overhead)) throw forbidden('pods', '', podName, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
  } else if (isSet(spec.overhead)) {
    throw forbidden('pods', '', podName, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
  }
}
