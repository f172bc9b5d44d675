// Pod QoS class, as upstream's qos.ComputePodQOS (without pod-level resources, off in 1.30).
import { addQuantity, compareQuantity, tryParseQuantity, type Quantity } from '../../validation/quantity.ts';
import { isObj, objs, type J } from './json.ts';

const ZERO: Quantity = { value: 0n, scale: 0, format: 'DecimalSI' };
const QOS_RESOURCES = new Set(['cpu', 'memory']);

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

function positive(list: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!isObj(list)) return out;
  for (const [name, v] of Object.entries(list)) {
    if (!QOS_RESOURCES.has(name)) continue;
    const q = tryParseQuantity(v);
    if (q && compareQuantity(q, ZERO) > 0) out.set(name, q);
  }
  return out;
}

export function computePodQOS(spec: J): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
    const res = isObj(c.resources) ? c.resources : {};
    for (const [name, q] of positive(res.requests)) requests.set(name, requests.has(name) ? addQuantity(requests.get(name)!, q) : q);
    const lim = positive(res.limits);
    for (const [name, q] of lim) limits.set(name, limits.has(name) ? addQuantity(limits.get(name)!, q) : q);
    if (!lim.has('cpu') || !lim.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantity(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
