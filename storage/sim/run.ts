// One deterministic simulation run: a 3- or 5-replica Raft cluster with a KV state machine,
// several clients, and seeded faults (message loss, duplication, reordering and delay,
// symmetric and asymmetric partitions, crashes that lose unsynced writes, restarts,
// membership changes), for a bounded virtual time. Then the network heals, the cluster must
// make progress and converge, and the run is checked:
//   - the clients' history with the linearizability checker;
//   - agreement: no two replicas ever applied different entries at the same index, and the
//     converged replicas hold the same state.
// Everything derives from the seed: `runSeed(s)` twice gives the same run, event for event.
import { checkOperations } from '../linearizability/checker.ts';
import { HistoryRecorder } from '../linearizability/history.ts';
import type { KvInput, KvOutput } from '../linearizability/model.ts';
import { kvModel } from '../linearizability/model.ts';
import type { ConfChange, ConfState, Entry, RaftConfig, SnapshotMetadata } from '../raft/index.ts';
import { MemoryStorage, SeededRandom, applyConfChangeToConfState, confChangeProblem, decodeConfChange, isRaftError } from '../raft/index.ts';
import type { ReadMode } from './client.ts';
import { SimClient } from './client.ts';
import type { CrashPoint } from './replica.ts';
import { Replica } from './replica.ts';
import type { NetworkFaults } from './world.ts';
import { NO_FAULTS, Scheduler, SimDisk, SimNetwork } from './world.ts';

export interface SimOptions {
  /** Founding voters: 3 or 5. Default: by seed (odd seeds 3, even seeds 5). */
  replicas?: 3 | 5;
  /** Virtual ms of faults and membership changes while clients run. Default 40000. */
  chaosMs?: number;
  /** Virtual ms allowed, after healing, for every client to complete operations again. Default 20000. */
  progressMs?: number;
  /**
   * Virtual ms allowed, after the clients stop, for every member to apply the whole log.
   * Default 60000: a follower thousands of entries behind, with one entry per message and one
   * message in flight, catches up at a few hundred entries a second.
   */
  convergeMs?: number;
  /** Budget for the linearizability check (ms of real time). Default 30000. */
  checkTimeoutMs?: number;
  /** Receives a line per notable event (crashes, partitions, leaders, membership, client operations). */
  log?: (line: string) => void;
  /**
   * TEST ONLY: deliberately broken replicas, to show that the checks catch them:
   * 'stale-reads' serves gets from local state without ReadIndex; 'skip-sync' never syncs the disk.
   */
  bug?: 'stale-reads' | 'skip-sync';
}

export interface SimStats {
  operations: number;
  ok: number;
  fail: number;
  timeout: number;
  attempts: number;
  /** Highest term reached. */
  terms: number;
  /** Leaders seen (distinct term/leader pairs, sampled every tick). */
  elections: number;
  crashes: number;
  confChanges: number;
  snapshotsInstalled: number;
  messages: number;
  events: number;
  /** Highest log index applied. */
  logIndex: number;
  virtualMs: number;
  elapsedMs: number;
  /** CPU time of the run (user + system), which, unlike elapsedMs, does not depend on the machine's load. */
  cpuMs: number;
  checkMs: number;
}

export interface SimResult {
  seed: number;
  /** A one-line description of the run's configuration. */
  config: string;
  /** The linearizability checker's verdict ('unknown': it ran out of time). */
  linearizability: 'ok' | 'illegal' | 'unknown';
  /** The checker's explanation when 'illegal'. */
  violation?: string;
  /** Disagreements between replicas (empty: none). */
  divergence: string[];
  /** Why the cluster failed to make progress or converge after healing, if it did. */
  noProgress?: string;
  /** An exception thrown during the run (a crash of the simulation or of the Raft core). */
  error?: string;
  stats: SimStats;
  /** True when nothing is wrong. */
  ok: boolean;
}

interface Scenario {
  name: string;
  /** Membership changes to make, in order: 'pickVoter' picks a current voter when the step starts, 'sameAsPicked' reuses it. */
  steps: Array<{ type: ConfChange['type']; node: number | 'pickVoter' | 'sameAsPicked' }>;
}

const CRASH_POINTS: CrashPoint[] = ['beforeSync', 'afterPersist', 'midSend', 'midApply'];

export function runSeed(seed: number, options: SimOptions = {}): SimResult {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const log = options.log;
  const master = new SeededRandom(seed);
  const r = master.fork(); // configuration choices
  const nemesisRng = master.fork();
  const netRng = master.fork();
  const nodeRng = master.fork();
  const clientRng = master.fork();
  const adminRng = master.fork();

  // ---- configuration, all chosen by the seed ----
  const n = options.replicas ?? (seed % 2 === 1 ? 3 : 5);
  const voters = Array.from({ length: n }, (_, i) => i + 1);
  const joiner = n + 1; // starts empty, joins as a learner and is promoted
  const ids = [...voters, joiner];
  const checkQuorum = r.chance(0.5);
  const preVote = r.chance(0.5);
  const raft: ReplicaOptionsRaft = {
    electionTick: 10,
    heartbeatTick: r.pick([1, 2, 3]),
    preVote,
    checkQuorum,
    maxInflightMsgs: r.pick([1, 4, 256]),
    maxSizePerMsg: r.pick([0, 200, 1 << 20]),
    maxUncommittedEntriesSize: r.pick([0, 0, 2000]),
    readOnlyOption: 'safe',
  };
  const tickMs = 10;
  const snapshotEvery = r.pick([0, 5, 20, 50]);
  const compactKeep = r.pick([0, 3]);
  const readMode: ReadMode = r.pick(['log', 'readIndex', 'mixed'] as const);
  const weather = (): NetworkFaults => ({
    dropRate: nemesisRng.pick([0, 0.01, 0.05, 0.15, 0.3]),
    duplicateRate: nemesisRng.pick([0, 0.02, 0.1]),
    reorder: nemesisRng.chance(0.5),
    latency: { min: 1, max: nemesisRng.pick([3, 10, 30]) },
    slowRate: nemesisRng.pick([0, 0.005, 0.03]),
    slow: { min: 40, max: nemesisRng.pick([150, 600]) },
  });
  const baseWeather = weather();
  const clientCount = r.int(3, 7);
  // How often the nemesis strikes: a storm, or faults that last long enough for a new leader
  // to establish itself while the old one still believes it leads.
  const pace = r.pick([
    { min: 50, max: 400 },
    { min: 200, max: 1200 },
    { min: 500, max: 2500 },
  ]);
  const keys = Array.from({ length: r.int(2, 6) }, (_, i) => `k${i}`);
  const chaosMs = options.chaosMs ?? 40_000;
  const scenarios: Scenario[] = [
    { name: 'remove and re-add a voter', steps: [{ type: 'removeNode', node: 'pickVoter' }, { type: 'addNode', node: 'sameAsPicked' }] },
    {
      name: 'remove a voter, re-add it as a learner, promote it',
      steps: [
        { type: 'removeNode', node: 'pickVoter' },
        { type: 'addLearnerNode', node: 'sameAsPicked' },
        { type: 'addNode', node: 'sameAsPicked' },
      ],
    },
    { name: 'add a learner and promote it', steps: [{ type: 'addLearnerNode', node: joiner }, { type: 'addNode', node: joiner }] },
    { name: 'demote a voter to learner, promote it again', steps: [{ type: 'addLearnerNode', node: 'pickVoter' }, { type: 'addNode', node: 'sameAsPicked' }] },
  ];
  const plan: Scenario[] = [];
  for (const s of scenarios.slice(0, 3)) if (r.chance(0.7)) plan.push(s);
  // Shuffle.
  for (let i = plan.length - 1; i > 0; i--) {
    const j = r.intn(i + 1);
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  const config =
    `${n} voters + joiner ${joiner}, ${clientCount} clients on ${keys.length} keys, reads via ${readMode}, ` +
    `faults every ${pace.min}-${pace.max}ms, preVote=${preVote} checkQuorum=${checkQuorum} heartbeatTick=${raft.heartbeatTick} maxInflight=${raft.maxInflightMsgs} ` +
    `maxSizePerMsg=${raft.maxSizePerMsg} maxUncommitted=${raft.maxUncommittedEntriesSize} snapshotEvery=${snapshotEvery} keep=${compactKeep}, ` +
    `membership: ${plan.map((p) => p.name).join('; ') || 'none'}, then more at random` +
    (options.bug ? `, BUG=${options.bug}` : '');

  const sched = new Scheduler();
  const say = log ? (msg: string) => log(`[${String(sched.now).padStart(6)}ms] ${msg}`) : undefined;
  say?.(`seed ${seed}: ${config}`);
  const net = new SimNetwork(sched, netRng, { ...NO_FAULTS });

  // ---- observation: agreement ----
  const appliedAt = new Map<number, { digest: string; by: number; term: number }>();
  const divergence: string[] = [];
  let confChanges = 0;
  let maxApplied = 0;
  // The committed membership, as an operator would learn it with a linearizable read: every
  // entry applied anywhere is committed, and replicas apply in log order, so folding the
  // membership changes in the order they are first applied (or taking the membership of an
  // installed snapshot that is newer) gives the membership as of the latest one committed.
  let committedConf: ConfState = { voters: [...voters], learners: [] };
  let committedConfIndex = 1;
  const hooks = {
    onSnapshot(_id: number, meta: SnapshotMetadata) {
      if (meta.index <= committedConfIndex) return;
      committedConfIndex = meta.index;
      committedConf = { voters: [...meta.confState.voters], learners: [...meta.confState.learners] };
    },
    onApply(id: number, e: Entry) {
      if (e.type === 'confChange' && e.index > committedConfIndex) {
        const cc = decodeConfChange(e.data);
        committedConfIndex = e.index;
        if (confChangeProblem(committedConf, cc) === undefined) committedConf = applyConfChangeToConfState(committedConf, cc);
      }
      const digest = `${e.term}/${e.type}/${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1')}`;
      const prev = appliedAt.get(e.index);
      if (prev === undefined) {
        appliedAt.set(e.index, { digest, by: id, term: e.term });
        if (e.type === 'confChange') confChanges++;
      } else if (prev.digest !== digest && divergence.length < 20) {
        divergence.push(`replica ${id} applied ${describeEntry(e)} at index ${e.index}, but replica ${prev.by} applied ${prev.digest.slice(0, 120)} there`);
      }
      if (e.index > maxApplied) maxApplied = e.index;
    },
    log: say ?? (() => {}),
  };

  const replicas = new Map<number, Replica>();
  const elections = new Set<string>();
  // History times are virtual ms plus a tie-breaker in the millionths: they keep the exact
  // order in which calls and returns happened, and read as times in the verbose log.
  let clockMs = -1;
  let tie = 0;
  const recorder = new HistoryRecorder<KvInput, KvOutput>(() => {
    if (sched.now !== clockMs) {
      clockMs = sched.now;
      tie = 0;
    }
    return sched.now + ++tie / 1e6;
  });
  const clients: SimClient[] = [];
  const result = (extra: Partial<SimResult>): SimResult => {
    const stats: SimStats = {
      operations: recorder.operations().length,
      ok: 0,
      fail: 0,
      timeout: 0,
      attempts: 0,
      terms: Math.max(0, ...[...replicas.values()].map((rep) => rep.storage.hardStateNow().term)),
      elections: elections.size,
      crashes: [...replicas.values()].reduce((s, rep) => s + rep.crashes, 0),
      confChanges,
      snapshotsInstalled: [...replicas.values()].reduce((s, rep) => s + rep.snapshotsInstalled, 0),
      messages: net.stats.sent,
      events: sched.events,
      logIndex: maxApplied,
      virtualMs: sched.now,
      elapsedMs: 0,
      cpuMs: 0,
      checkMs: 0,
    };
    for (const c of clients) {
      stats.ok += c.stats.ok;
      stats.fail += c.stats.fail;
      stats.timeout += c.stats.timeout;
      stats.attempts += c.stats.attempts;
    }
    const res: SimResult = { seed, config, linearizability: 'ok', divergence, stats, ok: false, ...extra };
    res.divergence = divergence;
    res.stats.elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuStart);
    res.stats.cpuMs = (cpu.user + cpu.system) / 1000;
    res.ok = res.linearizability === 'ok' && divergence.length === 0 && !res.noProgress && !res.error;
    return res;
  };

  try {
    for (const id of ids) {
      const storage = voters.includes(id) ? MemoryStorage.bootstrap({ voters }) : new MemoryStorage();
      const rep = new Replica(
        id,
        new SimDisk(storage),
        sched,
        net,
        nodeRng.fork(),
        { raft, tickMs, snapshotEvery, compactKeep, staleReads: options.bug === 'stale-reads', skipSync: options.bug === 'skip-sync' },
        hooks,
      );
      replicas.set(id, rep);
    }
    net.faults = baseWeather;
    say?.(`weather: ${describeWeather(baseWeather)}`);

    // The leader with the highest term among running replicas (what an operator would see).
    const leaderOf = (): Replica | undefined => {
      let best: Replica | undefined;
      for (const rep of replicas.values()) {
        const rf = rep.raw?.raft;
        if (rf && rf.state === 'leader' && (!best || rf.term > best.raw!.raft.term)) best = rep;
      }
      return best;
    };
    const watchLeaders = () => {
      for (const rep of replicas.values()) {
        const rf = rep.raw?.raft;
        if (!rf || rf.state !== 'leader') continue;
        const k = `${rf.term}/${rep.id}`;
        if (!elections.has(k)) {
          elections.add(k);
          say?.(`${rep.id} leads term ${rf.term}`);
        }
      }
      sched.after(tickMs, watchLeaders);
    };
    sched.after(0, watchLeaders);

    // ---- clients ----
    let chaos = true;
    for (let c = 1; c <= clientCount; c++) {
      const client = new SimClient(
        c,
        sched,
        clientRng.fork(),
        replicas,
        recorder,
        {
          keys,
          readMode,
          attemptTimeoutMs: clientRng.pick([100, 250, 500]),
          opTimeoutMs: clientRng.pick([800, 1500, 3000]),
          thinkMs: { min: 0, max: clientRng.pick([5, 30, 100]) },
          latency: { min: 1, max: 3 },
          targeting: clientRng.chance(0.5) ? 'sticky' : 'random',
        },
        () => (chaos ? net.faults.dropRate / 2 : 0),
        say,
      );
      clients.push(client);
      client.start();
    }

    // ---- the nemesis: faults while chaos lasts ----
    const down = () => [...replicas.values()].filter((rep) => !rep.up);
    const nemesis = () => {
      if (!chaos) return;
      const g = nemesisRng;
      const dice = g.next();
      const all = [...replicas.keys()];
      if (dice < 0.14) {
        // Symmetric partition: a random split, or one node (often the leader) cut off.
        const lead = leaderOf()?.id;
        let groups: number[][];
        if (g.chance(0.6)) {
          const victim = lead !== undefined && g.chance(0.7) ? lead : g.pick(all);
          groups = [[victim], all.filter((x) => x !== victim)];
        } else {
          const a = all.filter(() => g.chance(0.5));
          groups = [a, all.filter((x) => !a.includes(x))];
        }
        net.partition(groups);
        say?.(`partition ${groups.map((gr) => `{${gr.join(',')}}`).join(' ')}`);
      } else if (dice < 0.24) {
        // Asymmetric faults: one node can only send, or only receive; or a few one-way links.
        const victim = g.chance(0.5) ? (leaderOf()?.id ?? g.pick(all)) : g.pick(all);
        const kind = g.pick(['cannot send', 'cannot receive', 'random links'] as const);
        if (kind === 'cannot send') for (const o of all) o !== victim && net.cutOneWay(victim, o);
        else if (kind === 'cannot receive') for (const o of all) o !== victim && net.cutOneWay(o, victim);
        else for (let i = g.int(1, 4); i > 0; i--) {
          const a = g.pick(all);
          const b = g.pick(all.filter((x) => x !== a));
          net.cutOneWay(a, b);
        }
        say?.(`asymmetric: ${kind} (${victim}); cut ${net.describeCuts()}`);
      } else if (dice < 0.38) {
        net.heal();
        say?.('heal partitions');
      } else if (dice < 0.5) {
        // Crash a node, right away or in the middle of handling its next Ready.
        const up = [...replicas.values()].filter((rep) => rep.up);
        if (down().length >= 2 || up.length === 0) return;
        const lead = leaderOf();
        const victim = lead && g.chance(0.4) ? lead : g.pick(up);
        if (g.chance(0.4)) victim.crash('nemesis');
        else {
          const point = g.pick(CRASH_POINTS);
          victim.crashPlan = { point, fraction: g.next() };
          say?.(`${victim.id} will crash at its next Ready (${point})`);
          const inc = victim.incarnation;
          sched.after(200, () => {
            if (victim.incarnation === inc && victim.crashPlan !== undefined) victim.crash('planned crash point never came');
          });
        }
        const inc = victim.incarnation;
        sched.after(g.int(50, 2500), () => {
          if (chaos && !victim.up && victim.incarnation <= inc + 1) victim.restart();
        });
      } else if (dice < 0.55) {
        const d = down();
        if (d.length > 0) g.pick(d).restart();
      } else if (dice < 0.65) {
        net.faults = g.chance(0.3) ? baseWeather : weather();
        say?.(`weather: ${describeWeather(net.faults)}`);
      } else if (dice < 0.68) {
        const lead = leaderOf();
        if (lead) {
          const to = g.pick(lead.confState.voters);
          say?.(`transfer leadership ${lead.id} -> ${to}`);
          try {
            lead.raw!.transferLeader(to);
          } catch (e) {
            if (!isRaftError(e)) throw e;
          }
          lead.processReady();
        }
      }
      sched.after(g.int(pace.min, pace.max), nemesis);
    };
    sched.after(nemesisRng.int(0, 300), nemesis);

    // ---- the administrator: membership changes ----
    const steps: Array<{ type: ConfChange['type']; node: number | 'pickVoter' | 'sameAsPicked'; scenario: string }> = plan.flatMap((s) =>
      s.steps.map((st) => ({ ...st, scenario: s.name })),
    );
    let stepIdx = 0;
    let picked = 0;
    let current: ConfChange | undefined;
    let lastProposal = -Infinity;
    let notBefore = adminRng.int(200, Math.max(300, chaosMs / 3));
    const holds = (cs: ConfState, cc: ConfChange): boolean => {
      if (cc.type === 'removeNode') return !cs.voters.includes(cc.nodeId) && !cs.learners.includes(cc.nodeId);
      if (cc.type === 'addNode') return cs.voters.includes(cc.nodeId);
      return cs.learners.includes(cc.nodeId);
    };
    const admin = () => {
      sched.after(50, admin);
      if (sched.now < notBefore) return;
      if (stepIdx >= steps.length) {
        // Plan done: more changes while the chaos lasts (none in its last quarter).
        if (!chaos || sched.now > chaosMs * 0.75) return;
        const sc = adminRng.pick(scenarios);
        for (const st of sc.steps) steps.push({ ...st, scenario: sc.name });
      }
      // Judge by the committed membership, not by what some leader shows: a deposed leader
      // that does not know it yet, or a node that has not applied its own removal and won an
      // election with the old membership, shows a membership that is no longer current.
      const cs = committedConf;
      if (!current) {
        const st = steps[stepIdx]!;
        let node: number;
        if (st.node === 'pickVoter') {
          // Never below two voters.
          if (cs.voters.length < 3) return;
          node = picked = adminRng.pick(cs.voters);
        } else node = st.node === 'sameAsPicked' ? picked : st.node;
        current = { type: st.type, nodeId: node };
        say?.(`admin: ${st.scenario}: ${st.type} ${node}`);
      }
      if (holds(cs, current)) {
        say?.(`admin: ${current.type} ${current.nodeId} done (committed at ${committedConfIndex})`);
        current = undefined;
        stepIdx++;
        lastProposal = -Infinity;
        notBefore = sched.now + adminRng.int(100, 1500);
        return;
      }
      if (sched.now - lastProposal < 400) return;
      const lead = leaderOf();
      if (!lead) return;
      lastProposal = sched.now;
      try {
        lead.raw!.proposeConfChange(current);
        say?.(`admin: proposed ${current.type} ${current.nodeId} to leader ${lead.id}`);
      } catch (e) {
        if (!isRaftError(e)) throw e;
      }
      lead.processReady();
    };
    sched.after(0, admin);

    // ---- chaos ----
    sched.run(chaosMs);

    // ---- heal, then require progress ----
    chaos = false;
    net.heal();
    net.faults = { ...NO_FAULTS };
    for (const rep of replicas.values()) {
      rep.crashPlan = undefined;
      if (!rep.up) rep.restart();
    }
    say?.('healed: all links restored, no more loss/duplication/delay, every replica running');
    for (const c of clients) c.markProgress();
    const healedAt = sched.now;
    const progressed = () => stepIdx >= steps.length && clients.every((c) => c.okSinceMark >= 2);
    if (!sched.run(healedAt + (options.progressMs ?? 20_000), progressed)) {
      return finishEarly(`after healing, no progress within ${options.progressMs ?? 20_000}ms: ` + progressReport());
    }
    say?.(`progress after healing: every client completed operations by ${sched.now}ms`);

    // ---- stop clients, converge ----
    for (const c of clients) c.stop();
    const converged = () => {
      if (clients.some((c) => c.busy)) return false;
      const lead = leaderOf();
      if (!lead) return false;
      const rf = lead.raw!.raft;
      const last = rf.raftLog.lastIndex();
      if (rf.raftLog.committed !== last) return false;
      const cs = rf.trk.confState();
      return [...cs.voters, ...cs.learners].every((id) => replicas.get(id)!.up && replicas.get(id)!.lastApplied === last);
    };
    if (!sched.run(sched.now + (options.convergeMs ?? 60_000), converged)) {
      return finishEarly(`the cluster did not converge within ${options.convergeMs ?? 60_000}ms after the clients stopped: ` + progressReport());
    }
    // Converged members hold the same state.
    const lead = leaderOf()!;
    const cs = lead.raw!.raft.trk.confState();
    const members = [...cs.voters, ...cs.learners].map((id) => replicas.get(id)!);
    const ref = lead.sm.digest();
    for (const m of members) {
      if (m.sm.digest() !== ref) divergence.push(`replica ${m.id}'s state at index ${m.lastApplied} differs from leader ${lead.id}'s`);
    }
    say?.(`converged at ${sched.now}ms: leader ${lead.id}, index ${lead.lastApplied}, voters ${cs.voters.join(',')} learners ${cs.learners.join(',') || '-'}`);

    // ---- linearizability ----
    const t0 = performance.now();
    const check = checkOperations(kvModel, recorder.operations(), { timeoutMs: options.checkTimeoutMs ?? 30_000 });
    const res = result({ linearizability: check.result });
    res.stats.checkMs = performance.now() - t0;
    if (check.result === 'illegal') res.violation = check.info?.explanation ?? 'not linearizable';
    return res;

    function progressReport(): string {
      const lines = [...replicas.values()].map((rep) => {
        if (!rep.raw) return `  ${rep.id}: down`;
        const rf = rep.raw.raft;
        return `  ${rep.id}: ${rf.state} term ${rf.term} lead ${rf.lead} commit ${rf.raftLog.committed} last ${rf.raftLog.lastIndex()} applied ${rep.lastApplied} conf ${rf.trk.confState().voters.join(',')}/${rf.trk.confState().learners.join(',') || '-'}`;
      });
      const pending = stepIdx < steps.length ? `; membership step ${stepIdx + 1}/${steps.length} (${current ? `${current.type} ${current.nodeId}` : 'not started'}) unfinished` : '';
      return `clients' successes since healing: ${clients.map((c) => c.okSinceMark).join(',')}${pending}\n${lines.join('\n')}`;
    }
    function finishEarly(why: string): SimResult {
      // Still check what the clients saw so far.
      const check = checkOperations(kvModel, recorder.operations(), { timeoutMs: options.checkTimeoutMs ?? 30_000 });
      const res = result({ linearizability: check.result, noProgress: why });
      if (check.result === 'illegal') res.violation = check.info?.explanation ?? 'not linearizable';
      return res;
    }
  } catch (e) {
    return result({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}

type ReplicaOptionsRaft = Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>;

function describeWeather(f: NetworkFaults): string {
  return `loss ${f.dropRate}, duplication ${f.duplicateRate}, ${f.reorder ? 'reordering' : 'per-link FIFO'}, latency ${f.latency.min}-${f.latency.max}ms, ${f.slowRate} slow (${f.slow.min}-${f.slow.max}ms)`;
}

function describeEntry(e: Entry): string {
  const data = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1');
  return `${e.term}/${e.type}/${data.slice(0, 120)}`;
}
