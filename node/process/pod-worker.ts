// One pod on a process node (the kubelet's pod worker): gives it an IP and its volumes,
// carries out what planPod decides (starting containers with their environment, command,
// mounts and working directory; stopping them with preStop, SIGTERM and SIGKILL after the
// grace period), records how each run ended, runs the probes and lifecycle hooks, emits the
// kubelet's events, and cleans up once the pod is deleted. sync() is called by the agent's
// work queue; anything that happens in between (an exit, a probe result) asks for another sync.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ApiClient, ResourceRef } from '../../controllers/runtime/client.ts';
import type { Clock, TimerHandle } from '../../controllers/runtime/clock.ts';
import { errorMessage } from '../../controllers/runtime/errors.ts';
import type { EventRecorder } from '../../controllers/runtime/events.ts';
import type { KubeObject } from '../../controllers/runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import type { PodIPAllocator } from '../hollow/ipam.ts';
import type { CrashLoopBackoff } from './backoff.ts';
import { launchContainer, StartError, type ContainerRun } from './container-process.ts';
import { containerEnv, expand, serviceEnvSources } from './env.ts';
import { containerArgv, imageConfig, mergeEnv } from './images.ts';
import { containerLogPath, podLogDir } from './logs.ts';
import { markExited, markRunning, markWaiting, newPodState, noteRestart, planPod, type ContainerRecord, type PodState } from './pod-state.ts';
import { check, probeTimings, ProbeState, type ProbeKind } from './probes.ts';
import type { Mount } from './sandbox.ts';
import { containerID, renderPodStatus } from './status.ts';
import { planVolume, prepareHostPath, VolumeError, volumeDir, writeAtomic, type VolumeLookups } from './volumes.ts';

const log = logger.child({ component: 'process-runtime' });

type J = Record<string, any>;

const PVCS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };
const PVS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumes', namespaced: false, kind: 'PersistentVolume' };

/** What a pod worker needs from its node. */
export interface NodeContext {
  hostIP: string;
  /** pods/ and logs/ live here. */
  dataDir: string;
  sandbox: boolean;
  clock: Clock;
  backoff: CrashLoopBackoff;
  ips: PodIPAllocator;
  events: EventRecorder;
  api: ApiClient;
  nodeAllocatable: Record<string, string>;
  configMap(namespace: string, name: string): J | undefined;
  secret(namespace: string, name: string): J | undefined;
  services(): J[];
  /** Asks for another sync of the pod. */
  requeue(pod: J): void;
}

/** How a container's termination message is read (kubelet: at most 4096 bytes; from the log: 80 lines, 2048 bytes). */
const MAX_MESSAGE = 4096;
const MAX_LOG_MESSAGE = 2048;
const MAX_LOG_LINES = 80;
/** Pods with ConfigMap, Secret or downward API files see changes within this long. */
const VOLUME_REFRESH_MS = 15_000;

const probeName: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

function gracePeriodMs(seconds: unknown, fallback = 30): number {
  return (typeof seconds === 'number' && seconds >= 0 ? seconds : fallback) * 1000;
}

/** The hosts file a kubelet writes for a pod (not for hostNetwork pods, which see the host's). */
export function hostsFile(pod: J, ip: string): string {
  const spec: J = pod.spec ?? {};
  const hostname = podHostname(pod);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    spec.subdomain ? `${ip}\t${hostname}.${spec.subdomain}.${pod.metadata?.namespace}.svc.cluster.local\t${hostname}` : `${ip}\t${hostname}`,
  ];
  if (spec.hostAliases?.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of spec.hostAliases as J[]) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}

export function podHostname(pod: J): string {
  return String(pod.spec?.hostname ?? pod.metadata?.name ?? '').slice(0, 63);
}

const FILE_PLUGINS = new Set(['kubernetes.io~configmap', 'kubernetes.io~secret', 'kubernetes.io~downward-api', 'kubernetes.io~projected']);

interface Stopping {
  killAt: number;
  timer?: TimerHandle;
}

export class PodWorker {
  readonly st: PodState;
  /** What was last written to the API (the agent's status writer keeps it). */
  lastWritten?: string;
  private pod: J;
  private readonly podDir: string;
  private readonly runs = new Map<string, ContainerRun>();
  private readonly stopping = new Map<string, Stopping>();
  private readonly probeTimers = new Map<string, TimerHandle[]>();
  private volumeDirs?: Map<string, string>;
  private volumeRetryAt = 0;
  private volumeRetryMs = 1000;
  private lastVolumeRefresh = 0;
  private configRetryAt?: number;
  private destroyed = false;

  constructor(
    private readonly ctx: NodeContext,
    pod: J,
  ) {
    this.pod = pod;
    this.st = newPodState(pod, ctx.clock.now());
    this.podDir = join(ctx.dataDir, 'pods', this.st.uid);
  }

  private get ref() {
    const m = this.pod.metadata ?? {};
    return { namespace: String(m.namespace), name: String(m.name), uid: this.st.uid };
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.events.event(this.pod as KubeObject, type, reason, message);
  }

  private spec(name: string): J {
    return [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])].find((c: J) => c.name === name) ?? { name };
  }

  /** The status to report now. */
  status(current: J): J {
    return renderPodStatus(current, this.st, this.ctx.hostIP, this.ctx.clock.now());
  }

  /** Moves the pod along; `finished`: it was deleted and nothing of it runs any more. */
  async sync(pod: J): Promise<{ wakeInMs?: number; finished?: boolean }> {
    this.pod = pod;
    const now = this.ctx.clock.now();
    const deleting = !!pod.metadata?.deletionTimestamp;
    if (!this.st.sandboxReady && !deleting && !this.st.terminal) this.setUpSandbox();
    const plan = planPod(pod, this.st, now, this.ctx.backoff);
    for (const name of plan.backingOff) this.event('Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${this.ref.name}_${this.ref.namespace}(${this.st.uid})`);
    const grace = deleting ? gracePeriodMs(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds) : gracePeriodMs(pod.spec?.terminationGracePeriodSeconds);
    for (const name of plan.stop) this.stop(name, grace);
    // A second deletion with a shorter grace period shortens the wait.
    if (deleting) for (const name of this.stopping.keys()) this.stop(name, grace);
    let wake = plan.wakeAt;
    const soon = (at: number) => {
      if (wake === undefined || at < wake) wake = at;
    };
    if (plan.start.length) {
      if (await this.ensureVolumes(now)) {
        for (const name of plan.start) await this.start(name);
      } else soon(this.volumeRetryAt);
    }
    if (this.configRetryAt !== undefined) {
      soon(this.configRetryAt);
      this.configRetryAt = undefined;
    }
    const idle = ![...this.st.containers.values()].some((r) => r.state.kind === 'running' || r.busy);
    if ((deleting || this.st.terminal) && idle) {
      this.tearDownSandbox();
      if (deleting) {
        this.removeFiles();
        return { finished: true };
      }
    } else if (!deleting && this.volumeDirs && now - this.lastVolumeRefresh >= VOLUME_REFRESH_MS) {
      await this.refreshFileVolumes(now);
    }
    if (this.volumeDirs && !deleting && !this.st.terminal && this.hasFileVolumes()) soon(this.lastVolumeRefresh + VOLUME_REFRESH_MS);
    return wake === undefined ? {} : { wakeInMs: Math.max(0, wake - now) };
  }

  private setUpSandbox(): void {
    mkdirSync(this.podDir, { recursive: true });
    writeFileSync(join(this.podDir, 'hostname'), `${podHostname(this.pod)}\n`);
    if (!this.pod.spec?.hostNetwork) {
      this.st.ip = this.ctx.ips.allocate(this.st.uid);
      writeFileSync(join(this.podDir, 'etc-hosts'), hostsFile(this.pod, this.st.ip));
    }
    this.st.sandboxReady = true;
  }

  private tearDownSandbox(): void {
    if (!this.st.sandboxReady) return;
    this.st.sandboxReady = false;
    this.ctx.ips.release(this.st.uid);
  }

  private removeFiles(): void {
    rmSync(this.podDir, { recursive: true, force: true });
    rmSync(podLogDir(join(this.ctx.dataDir, 'logs'), this.ref), { recursive: true, force: true });
    this.ctx.backoff.forget(`${this.st.uid}/`);
  }

  // --- volumes -------------------------------------------------------------------------------

  private lookups(): VolumeLookups {
    const ns = this.ref.namespace;
    return {
      pod: this.podWithAddresses(),
      configMap: (n) => this.ctx.configMap(ns, n),
      secret: (n) => this.ctx.secret(ns, n),
      nodeAllocatable: this.ctx.nodeAllocatable,
      token: async (audience, expirationSeconds) => {
        const sa = this.pod.spec?.serviceAccountName || 'default';
        const body = {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: audience ? [audience] : [], expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.ref.name, uid: this.st.uid } },
        };
        const r = await this.ctx.api.request<J>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { body });
        return String(r.status?.token ?? '');
      },
    };
  }

  private hasFileVolumes(): boolean {
    return (this.pod.spec?.volumes ?? []).some((v: J) => v.configMap || v.secret || v.downwardAPI || v.projected);
  }

  /** Sets the pod's volumes up once; false (with a FailedMount event) while one cannot be. */
  private async ensureVolumes(now: number): Promise<boolean> {
    if (this.volumeDirs) return true;
    if (now < this.volumeRetryAt) return false;
    const dirs = new Map<string, string>();
    const lookups = this.lookups();
    for (const vol of (this.pod.spec?.volumes ?? []) as J[]) {
      try {
        dirs.set(vol.name, await this.setUpVolume(vol, lookups));
      } catch (err) {
        const msg = err instanceof VolumeError ? err.message : errorMessage(err);
        this.event('Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${vol.name}" : ${msg}`);
        this.volumeRetryAt = now + this.volumeRetryMs;
        this.volumeRetryMs = Math.min(this.volumeRetryMs * 2, 32_000);
        return false;
      }
    }
    this.volumeDirs = dirs;
    this.lastVolumeRefresh = now;
    return true;
  }

  private async setUpVolume(vol: J, lookups: VolumeLookups): Promise<string> {
    const plan = await planVolume(vol, lookups);
    switch (plan.kind) {
      case 'emptyDir': {
        const dir = volumeDir(this.podDir, 'kubernetes.io~empty-dir', vol.name);
        mkdirSync(dir, { recursive: true, mode: 0o777 });
        chmodSync(dir, 0o777);
        return dir;
      }
      case 'files': {
        const dir = volumeDir(this.podDir, plan.plugin, vol.name);
        writeAtomic(dir, plan.files);
        return dir;
      }
      case 'hostPath':
        prepareHostPath(plan.path, plan.type);
        return plan.path;
      case 'claim': {
        const ns = this.ref.namespace;
        const pvc = await this.ctx.api.get(PVCS, ns, plan.claimName).catch(() => undefined);
        if (!pvc) throw new VolumeError(`persistentvolumeclaim "${plan.claimName}" not found`);
        const pvName = (pvc.spec as J | undefined)?.volumeName;
        if (!pvName) throw new VolumeError(`persistentvolumeclaim "${plan.claimName}" is not bound`);
        const pv = await this.ctx.api.get(PVS, undefined, pvName);
        const spec = (pv.spec as J | undefined) ?? {};
        const path = spec.hostPath?.path ?? spec.local?.path;
        if (!path) throw new VolumeError(`persistentvolume "${pvName}" is neither a hostPath nor a local volume`);
        prepareHostPath(path, spec.hostPath ? (spec.hostPath.type ?? 'DirectoryOrCreate') : 'Directory');
        return path;
      }
    }
  }

  /** ConfigMap, Secret and downward API files follow their objects (tokens stay as issued). */
  private async refreshFileVolumes(now: number): Promise<void> {
    this.lastVolumeRefresh = now;
    const lookups = { ...this.lookups(), token: undefined };
    for (const vol of (this.pod.spec?.volumes ?? []) as J[]) {
      if (vol.projected?.sources?.some((s: J) => s.serviceAccountToken)) continue;
      if (!(vol.configMap || vol.secret || vol.downwardAPI || vol.projected)) continue;
      try {
        const plan = await planVolume(vol, lookups);
        if (plan.kind === 'files' && FILE_PLUGINS.has(plan.plugin)) writeAtomic(volumeDir(this.podDir, plan.plugin, vol.name), plan.files);
      } catch (err) {
        log.debug({ pod: this.ref, volume: vol.name, err: errorMessage(err) }, 'refreshing a volume failed');
      }
    }
  }

  // --- containers ----------------------------------------------------------------------------

  /** The pod as the downward API sees it: with the addresses this node gave it. */
  private podWithAddresses(): J {
    const ip = this.pod.spec?.hostNetwork ? this.ctx.hostIP : this.st.ip;
    return { ...this.pod, status: { ...(this.pod.status ?? {}), hostIP: this.ctx.hostIP, hostIPs: [{ ip: this.ctx.hostIP }], ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}) } };
  }

  private environment(c: J): { env: [string, string][]; errors: string[] } {
    const ns = this.ref.namespace;
    const pick = (kind: 'configMap' | 'secret') => {
      const names = new Set<string>();
      for (const e of c.env ?? []) {
        const ref = kind === 'configMap' ? e.valueFrom?.configMapKeyRef : e.valueFrom?.secretKeyRef;
        if (ref?.name) names.add(ref.name);
      }
      for (const f of c.envFrom ?? []) {
        const ref = kind === 'configMap' ? f.configMapRef : f.secretRef;
        if (ref?.name) names.add(ref.name);
      }
      const out = new Map<string, J>();
      for (const n of names) {
        const o = kind === 'configMap' ? this.ctx.configMap(ns, n) : this.ctx.secret(ns, n);
        if (o) out.set(n, o);
      }
      return out;
    };
    const services = serviceEnvSources(ns, this.ctx.services(), this.pod.spec?.enableServiceLinks !== false);
    return containerEnv(c, { pod: this.podWithAddresses(), configMaps: pick('configMap'), secrets: pick('secret'), services, nodeAllocatable: this.ctx.nodeAllocatable });
  }

  private mountsFor(c: J, env: Map<string, string>, runDir: string): Mount[] {
    const vols = new Map<string, J>(((this.pod.spec?.volumes ?? []) as J[]).map((v) => [v.name, v]));
    const mounts: Mount[] = [];
    for (const vm of (c.volumeMounts ?? []) as J[]) {
      const dir = this.volumeDirs?.get(vm.name);
      const vol = vols.get(vm.name);
      if (!dir || !vol) throw new VolumeError(`volume "${vm.name}" is not set up`);
      const sub: string = vm.subPath || (vm.subPathExpr ? expand(vm.subPathExpr, (n) => env.get(n)) : '');
      if (sub && (posix.isAbsolute(sub) || sub.split('/').includes('..'))) throw new VolumeError(`invalid subPath "${sub}"`);
      const hostPath = sub ? join(dir, sub) : dir;
      if (sub && !existsSync(hostPath)) mkdirSync(hostPath, { recursive: true, mode: 0o755 });
      const apiData = !!(vol.configMap || vol.secret || vol.downwardAPI || vol.projected);
      mounts.push({ containerPath: vm.mountPath, hostPath, readOnly: !!vm.readOnly || apiData || !!vol.persistentVolumeClaim?.readOnly });
    }
    const paths = new Set(mounts.map((m) => m.containerPath));
    if (!this.pod.spec?.hostNetwork && !paths.has('/etc/hosts')) mounts.push({ containerPath: '/etc/hosts', hostPath: join(this.podDir, 'etc-hosts'), readOnly: false });
    if (!this.pod.spec?.hostNetwork && !paths.has('/etc/hostname')) mounts.push({ containerPath: '/etc/hostname', hostPath: join(this.podDir, 'hostname'), readOnly: false });
    const termPath: string = c.terminationMessagePath ?? '/dev/termination-log';
    if (termPath && this.ctx.sandbox && !paths.has(termPath)) {
      const file = join(runDir, 'termination-log');
      writeFileSync(file, '');
      chmodSync(file, 0o666);
      mounts.push({ containerPath: termPath, hostPath: file, readOnly: false });
    }
    return mounts;
  }

  private async start(name: string): Promise<void> {
    const rec = this.st.containers.get(name)!;
    const c = this.spec(name);
    const now = this.ctx.clock.now();
    rec.busy = 'starting';
    noteRestart(this.st, rec, this.ctx.backoff);
    const run = rec.runs + 1;
    const id = containerID(this.st.uid, name, run);
    try {
      const e = this.environment(c);
      if (e.errors.length) {
        markWaiting(rec, 'CreateContainerConfigError', e.errors[0]);
        this.event('Warning', 'Failed', `Error: ${e.errors[0]}`);
        this.configRetryAt = now + 5000;
        return;
      }
      const img = imageConfig(String(c.image ?? ''));
      const hostname = podHostname(this.pod);
      const runtimeEnv: [string, string][] = [['HOSTNAME', hostname]];
      if (this.st.ip && !this.pod.spec?.hostNetwork) runtimeEnv.push(['K8TS_LISTEN_ADDRESS', this.st.ip]);
      const env = mergeEnv(img, [...runtimeEnv, ...e.env]);
      const runDir = join(this.podDir, 'containers', name, String(run));
      mkdirSync(runDir, { recursive: true });
      const mounts = this.mountsFor(c, env, runDir);
      if (!this.ctx.sandbox) env.set('K8TS_PATH_MAP', JSON.stringify(Object.fromEntries(mounts.map((m) => [m.containerPath, m.hostPath]))));
      const argv = containerArgv(c, img, env);
      this.event('Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      const cr = launchContainer({
        argv,
        env,
        workingDir: c.workingDir || img.workingDir || '/',
        mounts,
        hostname,
        sandbox: this.ctx.sandbox,
        runDir,
        logPath: containerLogPath(join(this.ctx.dataDir, 'logs'), this.ref, name, run - 1),
      });
      this.event('Normal', 'Created', `Created container: ${name}`);
      markRunning(rec, c, now, id);
      this.runs.set(name, cr);
      this.event('Normal', 'Started', `Started container ${name}`);
      void this.watch(name, cr, c);
      this.startProbes(name, cr, c);
      if (c.lifecycle?.postStart) void this.postStart(name, cr, c);
    } catch (err) {
      if (err instanceof StartError) {
        markExited(rec, { exitCode: 128, reason: 'StartError', message: err.message, startedAt: 0, finishedAt: now, containerID: id }, true);
        this.event('Warning', 'Failed', `Error: ${err.message}`);
      } else {
        const msg = errorMessage(err);
        markWaiting(rec, err instanceof VolumeError ? 'CreateContainerConfigError' : 'CreateContainerError', msg);
        this.event('Warning', 'Failed', `Error: ${msg}`);
        this.configRetryAt = now + 5000;
      }
    }
  }

  /** Records how the run ended, then asks for the next sync. */
  private async watch(name: string, cr: ContainerRun, c: J): Promise<void> {
    const ex = await cr.exited;
    if (this.runs.get(name) !== cr) return;
    this.runs.delete(name);
    this.cancelProbes(name);
    const s = this.stopping.get(name);
    s?.timer?.cancel();
    this.stopping.delete(name);
    const rec = this.st.containers.get(name)!;
    const startedAt = rec.state.kind === 'running' ? rec.state.startedAt : ex.finishedAt;
    const id = rec.state.kind === 'running' ? rec.state.containerID : containerID(this.st.uid, name, rec.runs);
    let reason = ex.exitCode === 0 ? 'Completed' : 'Error';
    let message: string | undefined;
    if (ex.setupFailed) {
      reason = 'StartError';
      message = ex.stderrTail.trim().split('\n').pop();
    } else {
      await Promise.race([cr.logged, new Promise((r) => setTimeout(r, 1000))]);
      message = this.terminationMessage(cr.spec.runDir, cr.spec.logPath, c, ex.exitCode);
    }
    markExited(rec, { exitCode: ex.exitCode, ...(ex.signal ? { signal: ex.signal } : {}), reason, ...(message ? { message } : {}), startedAt, finishedAt: ex.finishedAt, containerID: id });
    if (!this.destroyed) this.ctx.requeue(this.pod);
  }

  private terminationMessage(runDir: string, logPath: string, c: J, exitCode: number): string | undefined {
    try {
      const text = readFileSync(join(runDir, 'termination-log')).subarray(0, MAX_MESSAGE).toString();
      if (text) return text;
    } catch {
      // none written
    }
    if (c.terminationMessagePolicy !== 'FallbackToLogsOnError' || exitCode === 0) return undefined;
    try {
      const lines = readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-MAX_LOG_LINES);
      const text = lines.map((l) => l.split(' ').slice(3).join(' ') + (l.split(' ')[2] === 'F' ? '\n' : '')).join('');
      return text.slice(-MAX_LOG_MESSAGE) || undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops a running container: preStop, SIGTERM, and SIGKILL once `graceMs` is over. */
  private stop(name: string, graceMs: number, message?: string): void {
    const cr = this.runs.get(name);
    const rec = this.st.containers.get(name);
    if (!cr || !rec) return;
    const now = this.ctx.clock.now();
    const killAt = now + graceMs;
    const have = this.stopping.get(name);
    if (have) {
      if (killAt < have.killAt) {
        have.timer?.cancel();
        have.killAt = killAt;
        have.timer = this.ctx.clock.after(graceMs, () => cr.kill());
      }
      return;
    }
    rec.busy = 'stopping';
    const s: Stopping = { killAt };
    this.stopping.set(name, s);
    this.cancelProbes(name);
    this.event('Normal', 'Killing', message ?? `Stopping container ${name}`);
    if (graceMs <= 0) return cr.kill();
    s.timer = this.ctx.clock.after(graceMs, () => cr.kill());
    const c = this.spec(name);
    const preStop = c.lifecycle?.preStop;
    if (!preStop) return cr.terminate();
    void this.runHandler(preStop, c, cr, graceMs).then((r) => {
      if (!r.ok) this.event('Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.message}`);
      cr.terminate();
    });
  }

  private async runHandler(h: J, c: J, cr: ContainerRun, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
    if (h.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(timeoutMs, Math.max(0, Number(h.sleep.seconds) || 0) * 1000)));
      return { ok: true, message: '' };
    }
    return check(h, c, this.probeIP(), timeoutMs, (cmd, t) => cr.exec(cmd, t));
  }

  private async postStart(name: string, cr: ContainerRun, c: J): Promise<void> {
    const r = await this.runHandler(c.lifecycle.postStart, c, cr, gracePeriodMs(this.pod.spec?.terminationGracePeriodSeconds));
    if (r.ok || this.runs.get(name) !== cr) return;
    this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed');
    this.stop(name, gracePeriodMs(this.pod.spec?.terminationGracePeriodSeconds));
  }

  // --- probes --------------------------------------------------------------------------------

  private probeIP(): string {
    return this.pod.spec?.hostNetwork ? this.ctx.hostIP : (this.st.ip ?? this.ctx.hostIP);
  }

  private cancelProbes(name: string): void {
    for (const t of this.probeTimers.get(name) ?? []) t.cancel();
    this.probeTimers.delete(name);
  }

  private startProbes(name: string, cr: ContainerRun, c: J): void {
    const rec = this.st.containers.get(name)!;
    if (c.startupProbe) this.probe(name, cr, c, rec, 'startup');
    else this.probeStarted(name, cr, c, rec);
  }

  private probeStarted(name: string, cr: ContainerRun, c: J, rec: ContainerRecord): void {
    if (c.livenessProbe) this.probe(name, cr, c, rec, 'liveness');
    if (c.readinessProbe && rec.role !== 'init') this.probe(name, cr, c, rec, 'readiness');
  }

  private probe(name: string, cr: ContainerRun, c: J, rec: ContainerRecord, kind: ProbeKind): void {
    const spec: J = kind === 'startup' ? c.startupProbe : kind === 'liveness' ? c.livenessProbe : c.readinessProbe;
    const state = new ProbeState(kind, probeTimings(spec));
    const current = () => this.runs.get(name) === cr && !this.stopping.has(name);
    const schedule = (ms: number) => {
      const timers = this.probeTimers.get(name) ?? [];
      timers.push(this.ctx.clock.after(ms, () => void tick()));
      this.probeTimers.set(name, timers);
    };
    const tick = async () => {
      if (!current()) return;
      const outcome = await check(spec, c, this.probeIP(), state.timings.timeoutMs, (cmd, t) => cr.exec(cmd, t));
      if (!current()) return;
      const changed = state.record(outcome.ok);
      if (!outcome.ok) this.event('Warning', 'Unhealthy', `${probeName[kind]} probe failed: ${outcome.message}`);
      if (kind === 'readiness') {
        if (changed) {
          rec.ready = state.result === 'success';
          this.ctx.requeue(this.pod);
        }
      } else if (state.result === 'failure') {
        const grace = gracePeriodMs(spec.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds);
        this.stop(name, grace, `Container ${name} failed ${kind} probe, will be restarted`);
        this.ctx.requeue(this.pod);
        return;
      } else if (kind === 'startup' && state.result === 'success') {
        rec.started = true;
        rec.ready = !c.readinessProbe && rec.role !== 'init';
        this.probeStarted(name, cr, c, rec);
        this.ctx.requeue(this.pod);
        return;
      }
      schedule(state.timings.periodMs);
    };
    schedule(state.timings.initialDelayMs);
  }

  /**
   * Stops everything now or within `graceMs` (the pod vanished from the API, or the agent
   * stops), and removes the pod's files when `removeFiles`.
   */
  async destroy(graceMs: number, removeFiles: boolean): Promise<void> {
    this.destroyed = true;
    const exits = [...this.runs.entries()].map(([name, cr]) => {
      this.stop(name, graceMs);
      return cr.exited;
    });
    await Promise.all(exits);
    for (const name of [...this.probeTimers.keys()]) this.cancelProbes(name);
    this.tearDownSandbox();
    if (removeFiles) this.removeFiles();
  }

  /** The running process of a container, if it runs. */
  running(name: string): ContainerRun | undefined {
    return this.runs.get(name);
  }

  /** The log file of run `run` (1 = the first) of a container. */
  logPath(name: string, run: number): string {
    return containerLogPath(join(this.ctx.dataDir, 'logs'), this.ref, name, run - 1);
  }

  /** Where the pod's ports are reached from this host. */
  address(): string {
    return this.probeIP();
  }
}
