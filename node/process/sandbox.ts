// How a container is sandboxed when the agent runs as root: util-linux `unshare` gives it its
// own mount, UTS, IPC and PID namespaces (so it has the pod's hostname, sees only its own
// processes, and everything it starts dies with it), and a shell script in there builds its
// root: a tmpfs mirroring the host's top-level directories (bind mounts, a fresh /proc, a /dev
// of its own), the pod's volumes bind-mounted at their mountPaths, then chroot. Mount points that do not exist
// on the host are made without touching it: at the top level in the tmpfs, deeper down in an
// overlay (upper layer on a scratch tmpfs) over the deepest directory that exists. Nothing of
// this is visible outside the container's mount namespace. Without root, containers run as
// plain process groups and see the host's paths (the built-in images find their volumes
// through K8TS_PATH_MAP).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';

export interface Mount {
  /** Where the container sees it. */
  containerPath: string;
  /** What is mounted there (a directory, or a file for subPath mounts of files). */
  hostPath: string;
  readOnly: boolean;
}

export type PathKind = 'dir' | 'file' | 'symlink';

export interface SandboxSpec {
  /** Host directory the container's root is built on (a tmpfs is mounted over it inside the namespace). */
  root: string;
  /** Host directory for the overlays' upper layers (a tmpfs too). */
  scratch: string;
  /** Written just before the container's command is executed: the setup succeeded. */
  startedMarker: string;
  hostname: string;
  workingDir: string;
  mounts: Mount[];
  /** The host's top-level entries (`ls /`) and what they are. */
  topLevel: [string, PathKind][];
  /** What a host path is (following symlinks), if it exists. */
  stat(path: string): 'dir' | 'file' | undefined;
  /** A host path with the symlinks of its existing part resolved (realpath of what exists, plus the rest). */
  resolve(path: string): string;
}

/** Single-quoted for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Exit code of a container whose sandbox could not be set up (as runc's start errors). */
export const SETUP_FAILED_EXIT = 128;

/**
 * The `sh -c` script that sets up the container's root and executes its command ("$@").
 * Every step that fails stops with SETUP_FAILED_EXIT and a message on stderr (the log).
 * Throws when the mounts cannot be made (a mount point that is a file on the host, say).
 */
export function sandboxScript(spec: SandboxSpec): string {
  const R = spec.root;
  const inRoot = (p: string) => `"$R"${shq(posix.join('/', p))}`;
  // fd 3 is the container's stderr (unshare's own is fd 2).
  const lines: string[] = [
    'exec 2>&3 3>&-',
    `fail() { echo "k8ts: $1" >&2; exit ${SETUP_FAILED_EXIT}; }`,
    `R=${shq(R)}; S=${shq(spec.scratch)}`,
    // The host's top-level entries: directories, files, links.
    'd() { mkdir "$R/$1" && mount --rbind "/$1" "$R/$1" || fail "mounting /$1 failed"; }',
    'f() { : > "$R/$1" && mount --bind "/$1" "$R/$1" || fail "mounting /$1 failed"; }',
    'l() { ln -s "$(readlink "/$1")" "$R/$1" || fail "linking /$1 failed"; }',
  ];
  const step = (cmd: string, what: string) => lines.push(`${cmd} || fail ${shq(what)}`);
  step('mount -t tmpfs -o mode=0755 k8ts-root "$R"', 'mounting the root tmpfs failed');
  step('mount -t tmpfs -o mode=0700 k8ts-scratch "$S"', 'mounting the scratch tmpfs failed');
  for (const [name, kind] of spec.topLevel) {
    if (name === 'proc') step(`mkdir ${inRoot(name)} && mount -t proc proc ${inRoot(name)}`, 'mounting /proc failed');
    else if (name === 'dev') devLines(inRoot).forEach((l) => step(l, 'setting up /dev failed'));
    else lines.push(`${kind === 'symlink' ? 'l' : kind === 'dir' ? 'd' : 'f'} ${shq(name)}`);
  }

  const under = (p: string, prefix: string) => prefix === '/' || p === prefix || p.startsWith(`${prefix}/`);
  // Paths as the container's root resolves them: symlinks on the way (/var/run → /run) are the
  // host's, except under a mount. Mount targets in $R must be free of symlinks: an absolute one
  // would lead out of $R before the chroot.
  const done: { path: string; real: string; mount: Mount }[] = [];
  const coverOf = (p: string, self?: Mount) =>
    done.filter((d) => d.mount !== self && under(p, d.path)).sort((a, b) => b.path.length - a.path.length)[0];
  const real = (p: string, self?: Mount) => {
    const c = coverOf(p, self);
    return c ? posix.join(c.real, posix.relative(c.path, p)) : spec.resolve(p);
  };
  /** Where the container's path lives on the host (in a mounted directory, or the host's own), or in a tmpfs of the sandbox's. */
  const hostOf = (p: string, self?: Mount): { host: string; ours: boolean } => {
    const c = coverOf(p, self);
    if (c) return { host: posix.join(c.mount.hostPath, posix.relative(c.path, p)), ours: true };
    const r = spec.resolve(p);
    return under(r, '/dev') && r !== '/dev' ? { host: '', ours: true } : { host: r, ours: false };
  };
  const exists = (host: string) => (host ? spec.stat(host) : undefined);

  const mounts = [...spec.mounts].sort((a, b) => a.containerPath.split('/').length - b.containerPath.split('/').length);
  const wanted: { real: string; host: string; ours: boolean; kind: 'dir' | 'file'; mount?: Mount }[] = [];
  for (const m of mounts) {
    const kind = spec.stat(m.hostPath) === 'file' ? 'file' : 'dir';
    wanted.push({ real: real(m.containerPath, m), ...hostOf(m.containerPath, m), kind, mount: m });
    done.push({ path: m.containerPath, real: wanted[wanted.length - 1]!.real, mount: m });
  }
  const wd = spec.workingDir || '/';
  wanted.push({ real: real(wd), ...hostOf(wd), kind: 'dir' });

  // First the overlays the missing mount points need (the highest ones only: an overlay
  // mounted later would hide what was mounted below it).
  const overlays = new Set<string>();
  for (const w of wanted) {
    const have = exists(w.host);
    if (have && have !== w.kind) throw new Error(`${w.real} exists and is not a ${w.kind === 'dir' ? 'directory' : 'file'}`);
    if (have || w.ours) continue;
    let a = posix.dirname(w.real);
    while (a !== '/' && spec.stat(a) !== 'dir') {
      if (spec.stat(a)) throw new Error(`${a} is not a directory`);
      a = posix.dirname(a);
    }
    if (a !== '/') overlays.add(a);
  }
  const tops = [...overlays].filter((a) => ![...overlays].some((b) => b !== a && under(a, b)));
  for (const [n, a] of tops.entries()) {
    if (/[,:]/.test(a)) throw new Error(`cannot make a mount point under ${a}`);
    step(`mkdir -p "$S/${n}/upper" "$S/${n}/work" && mount -t overlay k8ts-overlay -o "lowerdir=$R"${shq(a)}",upperdir=$S/${n}/upper,workdir=$S/${n}/work" ${inRoot(a)}`, `making ${a} writable failed`);
  }

  // Then the mount points and the mounts, parents first.
  for (const w of wanted) {
    if (!exists(w.host)) {
      if (w.kind === 'dir') step(`mkdir -p ${inRoot(w.real)}`, `creating ${w.real} failed`);
      else step(`mkdir -p ${inRoot(posix.dirname(w.real))} && { [ -e ${inRoot(w.real)} ] || : > ${inRoot(w.real)}; }`, `creating ${w.real} failed`);
    }
    if (!w.mount) continue;
    step(`mount --rbind ${shq(w.mount.hostPath)} ${inRoot(w.real)}`, `mounting ${w.mount.containerPath} failed`);
    if (w.mount.readOnly) step(`mount -o remount,bind,ro ${inRoot(w.real)}`, `making ${w.mount.containerPath} read-only failed`);
  }
  step(`hostname ${shq(spec.hostname)}`, 'setting the hostname failed');
  step(`: > ${shq(spec.startedMarker)}`, 'marking the start failed');
  lines.push(`exec unshare --root="$R" --wd=${shq(wd)} -- "$@"`);
  return lines.join('\n');
}

/**
 * A container's own /dev, as runtimes make it: a tmpfs with the host's null, zero, full,
 * random, urandom and tty, a private devpts, a shm tmpfs and the fd links.
 */
function devLines(inRoot: (p: string) => string): string[] {
  const d = (p: string) => inRoot(posix.join('/dev', p));
  return [
    `mkdir ${d('')} && mount -t tmpfs -o mode=0755,nosuid k8ts-dev ${d('')}`,
    ...['null', 'zero', 'full', 'random', 'urandom', 'tty'].map((n) => `: > ${d(n)} && mount --bind /dev/${n} ${d(n)}`),
    `mkdir ${d('pts')} && mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts ${d('pts')} && ln -s pts/ptmx ${d('ptmx')}`,
    `mkdir ${d('shm')} && mount -t tmpfs -o mode=1777,nosuid,nodev shm ${d('shm')}`,
    `ln -s /proc/self/fd ${d('fd')} && ln -s /proc/self/fd/0 ${d('stdin')} && ln -s /proc/self/fd/1 ${d('stdout')} && ln -s /proc/self/fd/2 ${d('stderr')}`,
  ];
}

/** The host as SandboxSpec needs to know it. */
export function hostFs(): Pick<SandboxSpec, 'stat' | 'resolve' | 'topLevel'> {
  const stat = (p: string) => {
    try {
      return statSync(p).isDirectory() ? ('dir' as const) : ('file' as const);
    } catch {
      return undefined;
    }
  };
  const resolve = (p: string): string => {
    let head = p;
    const rest: string[] = [];
    while (!existsSync(head)) {
      rest.unshift(posix.basename(head));
      head = posix.dirname(head);
    }
    return posix.join(realpathSync(head), ...rest);
  };
  const topLevel = readdirSync('/').map((n): [string, PathKind] => {
    const l = lstatSync(`/${n}`);
    return [n, l.isSymbolicLink() ? 'symlink' : l.isDirectory() ? 'dir' : 'file'];
  });
  return { stat, resolve, topLevel };
}

/** The argv that runs `command` in a sandbox built by `script` (the container's stderr is fd 3). */
export function sandboxArgv(script: string, command: string[]): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--', '/bin/sh', '-c', script, 'k8ts-sandbox', ...command];
}

/**
 * The argv that runs `command` inside the running container whose main process is `pid`:
 * its namespaces and root, in its working directory (nsenter's own --wd=<dir> would look the
 * directory up on the host).
 */
export function enterArgv(pid: number, workingDir: string, command: string[]): string[] {
  return ['nsenter', `--target=${pid}`, '--mount', '--uts', '--ipc', '--pid', '--root', '--wd', '--', 'env', '-C', workingDir || '/', '--', ...command];
}

let sandboxSupport: boolean | undefined;

/**
 * Whether containers can be sandboxed here: root, and unshare able to make the namespaces
 * (K8TS_SANDBOX=off turns the sandbox off).
 */
export function canSandbox(): boolean {
  if (process.env.K8TS_SANDBOX === 'off') return false;
  if (sandboxSupport === undefined) {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    sandboxSupport = root && spawnSync('unshare', ['--mount', '--propagation', 'private', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  }
  return sandboxSupport;
}
