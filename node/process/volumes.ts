// A pod's volumes as files: configMap, secret, downwardAPI and projected volumes become a set
// of files (path → bytes and mode) exactly as the kubelet lays them out (items, defaultMode,
// labels and annotations in `key="value"` lines), written with the kubelet's atomic writer
// layout (a `..data` symlink to a timestamped directory, one symlink per top-level entry) so a
// reader never sees half an update. emptyDir, hostPath and claims are plain directories; what
// kind a volume is and the errors a missing object gives are decided here too.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join, posix } from 'node:path';
import { podFieldValue, resourceFieldValue } from './env.ts';

type J = Record<string, any>;

export interface ProjectedFile {
  data: Buffer;
  mode: number;
}

export type Files = Map<string, ProjectedFile>;

/** What a volume is made of. */
export type VolumePlan =
  | { kind: 'emptyDir'; medium: string }
  | { kind: 'files'; plugin: string; files: Files }
  | { kind: 'hostPath'; path: string; type: string }
  | { kind: 'claim'; claimName: string; readOnly: boolean };

export interface VolumeLookups {
  pod: J;
  configMap(name: string): J | undefined;
  secret(name: string): J | undefined;
  /** A service account token for the pod (TokenRequest), for projected serviceAccountToken sources. */
  token?(audience: string | undefined, expirationSeconds: number): Promise<string>;
  nodeAllocatable?: Record<string, string>;
}

/** A volume that cannot be set up now; the message is the FailedMount event's. */
export class VolumeError extends Error {}

const DEFAULT_MODE = 0o644;

/** Go's %q for the strings labels hold. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** Labels or annotations as the downward API writes them: sorted `key="value"` lines. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${quote(String(m![k]))}`)
    .join('\n');
}

function keyData(obj: J, isSecret: boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (isSecret) {
    for (const [k, v] of Object.entries(obj.data ?? {})) out.set(k, Buffer.from(String(v), 'base64'));
  } else {
    for (const [k, v] of Object.entries(obj.data ?? {})) out.set(k, Buffer.from(String(v), 'utf8'));
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) out.set(k, Buffer.from(String(v), 'base64'));
  }
  return out;
}

/** The files of a configMap or secret source (items or every key). */
function objectFiles(src: J, isSecret: boolean, lookups: VolumeLookups, defaultMode: number, files: Files): void {
  const name: string = isSecret ? src.secretName ?? src.name : src.name;
  const kind = isSecret ? 'secret' : 'configmap';
  const obj = isSecret ? lookups.secret(name) : lookups.configMap(name);
  if (!obj) {
    if (src.optional) return;
    throw new VolumeError(`${kind} "${name}" not found`);
  }
  const data = keyData(obj, isSecret);
  if (!src.items?.length) {
    for (const [k, v] of data) files.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const item of src.items as J[]) {
    const v = data.get(item.key);
    if (!v) {
      if (src.optional) continue;
      throw new VolumeError(isSecret ? `references non-existent secret key: ${item.key}` : `configmap references non-existent config key: ${item.key}`);
    }
    files.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
}

function downwardFiles(items: J[], lookups: VolumeLookups, defaultMode: number, files: Files): void {
  const pod = lookups.pod;
  for (const item of items) {
    let value: string | undefined;
    if (item.fieldRef) {
      const path: string = item.fieldRef.fieldPath;
      if (path === 'metadata.labels') value = formatMap(pod.metadata?.labels);
      else if (path === 'metadata.annotations') value = formatMap(pod.metadata?.annotations);
      else value = podFieldValue(pod, path);
      if (value === undefined) throw new VolumeError(`unsupported fieldPath: ${path}`);
    } else if (item.resourceFieldRef) {
      const ref = item.resourceFieldRef;
      const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: J) => x.name === ref.containerName);
      value = c ? resourceFieldValue(c, ref.resource, ref.divisor, lookups.nodeAllocatable) : undefined;
      if (value === undefined) throw new VolumeError(`unsupported resourceFieldRef: ${ref.resource}`);
    } else continue;
    files.set(item.path, { data: Buffer.from(value), mode: item.mode ?? defaultMode });
  }
}

/** What the volume is made of, from the objects it refers to. */
export async function planVolume(vol: J, lookups: VolumeLookups): Promise<VolumePlan> {
  if (vol.emptyDir) return { kind: 'emptyDir', medium: vol.emptyDir.medium ?? '' };
  if (vol.hostPath) return { kind: 'hostPath', path: vol.hostPath.path, type: vol.hostPath.type ?? '' };
  if (vol.persistentVolumeClaim) return { kind: 'claim', claimName: vol.persistentVolumeClaim.claimName, readOnly: !!vol.persistentVolumeClaim.readOnly };
  const files: Files = new Map();
  if (vol.configMap) {
    objectFiles(vol.configMap, false, lookups, vol.configMap.defaultMode ?? DEFAULT_MODE, files);
    return { kind: 'files', plugin: 'kubernetes.io~configmap', files };
  }
  if (vol.secret) {
    objectFiles(vol.secret, true, lookups, vol.secret.defaultMode ?? DEFAULT_MODE, files);
    return { kind: 'files', plugin: 'kubernetes.io~secret', files };
  }
  if (vol.downwardAPI) {
    downwardFiles(vol.downwardAPI.items ?? [], lookups, vol.downwardAPI.defaultMode ?? DEFAULT_MODE, files);
    return { kind: 'files', plugin: 'kubernetes.io~downward-api', files };
  }
  if (vol.projected) {
    const mode = vol.projected.defaultMode ?? DEFAULT_MODE;
    for (const src of (vol.projected.sources ?? []) as J[]) {
      if (src.configMap) objectFiles(src.configMap, false, lookups, mode, files);
      else if (src.secret) objectFiles(src.secret, true, lookups, mode, files);
      else if (src.downwardAPI) downwardFiles(src.downwardAPI.items ?? [], lookups, mode, files);
      else if (src.serviceAccountToken) {
        if (!lookups.token) throw new VolumeError('service account tokens are not available');
        const t = src.serviceAccountToken;
        files.set(t.path, { data: Buffer.from(await lookups.token(t.audience, t.expirationSeconds ?? 3600)), mode: 0o600 });
      }
    }
    return { kind: 'files', plugin: 'kubernetes.io~projected', files };
  }
  const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
  throw new VolumeError(`volume type ${kind} is not supported by the process runtime`);
}

/** The host directory of a pod volume of `plugin` (the kubelet's pods/<uid>/volumes/<plugin>/<name>). */
export function volumeDir(podDir: string, plugin: string, name: string): string {
  return join(podDir, 'volumes', plugin, name);
}

/** hostPath type checks, creating what the type asks to be created. */
export function prepareHostPath(path: string, type: string): void {
  const kind = () => {
    try {
      const s = statSync(path);
      return s.isDirectory() ? 'Directory' : s.isFile() ? 'File' : s.isSocket() ? 'Socket' : s.isCharacterDevice() ? 'CharDevice' : s.isBlockDevice() ? 'BlockDevice' : 'other';
    } catch {
      return undefined;
    }
  };
  const have = kind();
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!have) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (have !== 'Directory') throw new VolumeError(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!have) {
        mkdirSync(posix.dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else if (have !== 'File') throw new VolumeError(`hostPath type check failed: ${path} is not a file`);
      return;
    default: {
      const want = type;
      if (have !== want) throw new VolumeError(`hostPath type check failed: ${path} is not a ${want === 'Directory' ? 'directory' : want === 'File' ? 'file' : want}`);
    }
  }
}

const DATA = '..data';

/** The files currently visible in an atomic-writer directory. */
function currentFiles(dir: string): Map<string, ProjectedFile> | undefined {
  let target: string;
  try {
    target = readlinkSync(join(dir, DATA));
  } catch {
    return undefined;
  }
  const out = new Map<string, ProjectedFile>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, target, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.set(r, { data: readFileSync(join(dir, target, r)), mode: lstatSync(join(dir, target, r)).mode & 0o777 });
    }
  };
  walk('');
  return out;
}

function same(a: Files, b: Files): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.mode !== v.mode || !w.data.equals(v.data)) return false;
  }
  return true;
}

/**
 * Makes `dir` hold exactly `files`, switching over atomically (the kubelet's AtomicWriter):
 * a new `..<time>` directory, the `..data` link renamed onto it, links for new top-level
 * entries, stale ones removed. Returns whether anything changed.
 */
export function writeAtomic(dir: string, files: Files, now = Date.now()): boolean {
  for (const p of files.keys()) {
    if (p.startsWith('..') || p.startsWith('/') || p.split('/').includes('..')) throw new VolumeError(`invalid path in volume: ${p}`);
  }
  mkdirSync(dir, { recursive: true });
  const old = currentFiles(dir);
  if (old && same(old, files)) return false;
  const prev = old ? readlinkSync(join(dir, DATA)) : undefined;
  const stamp = `..${new Date(now).toISOString().replace(/[-:]/g, '_')}.${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { mode: 0o755 });
  for (const [p, f] of files) {
    mkdirSync(join(tsDir, posix.dirname(p)), { recursive: true });
    writeFileSync(join(tsDir, p), f.data);
    chmodSync(join(tsDir, p), f.mode);
  }
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, join(dir, DATA));
  const tops = new Set([...files.keys()].map((p) => p.split('/')[0]!));
  for (const t of tops) {
    try {
      lstatSync(join(dir, t));
    } catch {
      symlinkSync(posix.join(DATA, t), join(dir, t));
    }
  }
  for (const e of readdirSync(dir)) {
    if (e.startsWith('..') || tops.has(e)) continue;
    rmSync(join(dir, e), { force: true, recursive: true });
  }
  if (prev) rmSync(join(dir, prev), { recursive: true, force: true });
  return true;
}
