// A container's environment, as the kubelet builds it: envFrom (ConfigMaps and Secrets, with
// prefixes), then env in order with `$(VAR)` expansion against what is defined so far and the
// service variables, valueFrom (configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef),
// then the Docker-link style service variables for names not already set. Pure: the objects
// it reads are passed in, and what it could not resolve comes back as errors, which the agent
// reports as the container's CreateContainerConfigError.
import { milliValue, value as quantityValue } from '../../scheduler/quantity.ts';

type J = Record<string, any>;

export interface EnvSources {
  pod: J;
  /** ConfigMaps and Secrets of the pod's namespace by name (Secret data base64, as served). */
  configMaps: ReadonlyMap<string, J>;
  secrets: ReadonlyMap<string, J>;
  /** Services whose variables the container gets (see serviceEnvSources). */
  services: readonly J[];
  /** Node allocatable, the default for resourceFieldRef limits that the container does not set. */
  nodeAllocatable?: Record<string, string>;
}

export interface EnvResult {
  env: [string, string][];
  /** Missing non-optional references: the container must not start. */
  errors: string[];
  /** envFrom keys that are not valid variable names (skipped; upstream warns with an event). */
  skippedKeys: string[];
}

/**
 * The services whose variables a pod in `namespace` gets: with service links (the default)
 * every service of its namespace, and always the `kubernetes` service of `default`; the
 * namespace's own service of the same name wins.
 */
export function serviceEnvSources(namespace: string, services: readonly J[], enableServiceLinks = true): J[] {
  const byName = new Map<string, J>();
  for (const s of services) {
    const ns = s.metadata?.namespace;
    if (ns === 'default' && s.metadata?.name === 'kubernetes') {
      if (!byName.has('kubernetes')) byName.set('kubernetes', s);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(s.metadata.name, s);
    }
  }
  return [...byName.values()];
}

/** The Docker-link style variables of one service (none for headless services or without a ClusterIP). */
export function serviceVariables(svc: J): [string, string][] {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return [];
  const ports: J[] = svc.spec?.ports ?? [];
  const name = svc.metadata.name.toUpperCase().replace(/-/g, '_');
  const out: [string, string][] = [[`${name}_SERVICE_HOST`, ip]];
  if (ports.length === 0) return out;
  out.push([`${name}_SERVICE_PORT`, String(ports[0].port)]);
  for (const p of ports) if (p.name) out.push([`${name}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, String(p.port)]);
  const url = (p: J) => `${(p.protocol ?? 'TCP').toLowerCase()}://${ip}:${p.port}`;
  out.push([`${name}_PORT`, url(ports[0])]);
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    const prefix = `${name}_PORT_${p.port}_${proto}`;
    out.push([prefix, url(p)], [`${prefix}_PROTO`, proto.toLowerCase()], [`${prefix}_PORT`, String(p.port)], [`${prefix}_ADDR`, ip]);
  }
  return out;
}

/** `$(VAR)` expansion as the kubelet does: `$$` is a literal `$`, unknown references stay as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function decodeSecret(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

/** The pod fields the downward API exposes through env (fieldRef). */
export function podFieldValue(pod: J, path: string): string | undefined {
  const meta = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (sub) return meta[sub[1]]?.[sub[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace;
    case 'metadata.uid':
      return meta.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((x: J) => x.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((x: J) => x.ip).join(',');
    default:
      return undefined;
  }
}

/**
 * A container resource through the downward API: `limits.cpu` etc. in units of `divisor`
 * (default 1), rounded up as upstream; an unset limit is the node's allocatable.
 */
export function resourceFieldValue(container: J, resource: string, divisor: string | undefined, nodeAllocatable: Record<string, string> = {}): string | undefined {
  const [kind, name] = resource.split('.', 2) as [string, string];
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(name)) return undefined;
  const set = container.resources?.[kind]?.[name] ?? (kind === 'requests' ? container.resources?.limits?.[name] : undefined);
  const raw = set ?? (kind === 'limits' ? nodeAllocatable[name] : undefined);
  if (raw === undefined) return '0';
  // CPU compares in millicores, the rest in units, as upstream.
  const measure = name === 'cpu' ? milliValue : quantityValue;
  const unit = measure(divisor ?? '1');
  if (!(unit > 0)) return undefined;
  return String(Math.ceil(measure(String(raw)) / unit));
}

/** The environment of `container` in `sources.pod`. */
export function containerEnv(container: J, sources: EnvSources): EnvResult {
  const defined = new Map<string, string>();
  const errors: string[] = [];
  const skippedKeys: string[] = [];
  const ns = sources.pod.metadata?.namespace;
  const serviceEnv = new Map<string, string>();
  for (const svc of sources.services) for (const [k, v] of serviceVariables(svc)) serviceEnv.set(k, v);

  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const isSecret = !!from.secretRef;
    const obj = (isSecret ? sources.secrets : sources.configMaps).get(ref.name);
    if (!obj) {
      if (!ref.optional) errors.push(`${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`);
      continue;
    }
    const data: Record<string, string> = isSecret
      ? Object.fromEntries(Object.entries(obj.data ?? {}).map(([k, v]) => [k, decodeSecret(String(v))]))
      : { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(data)) {
      const key = prefix + k;
      if (!ENV_NAME.test(key)) skippedKeys.push(key);
      else defined.set(key, v);
    }
  }

  const lookup = (name: string) => defined.get(name) ?? serviceEnv.get(name);
  for (const e of container.env ?? []) {
    let value: string | undefined;
    const vf = e.valueFrom;
    if (!vf) value = expand(e.value ?? '', lookup);
    else if (vf.configMapKeyRef || vf.secretKeyRef) {
      const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
      const isSecret = !!vf.secretKeyRef;
      const obj = (isSecret ? sources.secrets : sources.configMaps).get(ref.name);
      const raw = obj?.data?.[ref.key];
      if (raw !== undefined) value = isSecret ? decodeSecret(String(raw)) : String(raw);
      else if (!ref.optional) {
        errors.push(
          obj
            ? `couldn't find key ${ref.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${ns}/${ref.name}`
            : `${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`,
        );
      }
      if (value === undefined) continue;
    } else if (vf.fieldRef) {
      value = podFieldValue(sources.pod, vf.fieldRef.fieldPath);
      if (value === undefined) errors.push(`unsupported fieldPath: ${vf.fieldRef.fieldPath}`);
    } else if (vf.resourceFieldRef) {
      const target = vf.resourceFieldRef.containerName
        ? [...(sources.pod.spec?.containers ?? []), ...(sources.pod.spec?.initContainers ?? [])].find((c: J) => c.name === vf.resourceFieldRef.containerName)
        : container;
      value = target ? resourceFieldValue(target, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor, sources.nodeAllocatable) : undefined;
      if (value === undefined) errors.push(`unsupported resourceFieldRef: ${vf.resourceFieldRef.resource}`);
    }
    if (value !== undefined) defined.set(e.name, value);
  }

  for (const [k, v] of serviceEnv) if (!defined.has(k)) defined.set(k, v);
  return { env: [...defined], errors, skippedKeys };
}
