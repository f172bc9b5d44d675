// Which upstream Kubernetes conformance tests k8ts runs: scans conformance/ for test names,
// matches them against the upstream list (../shared/reference/kubernetes-conformance.yaml)
// and the index that classifies which tests need running containers, and prints the
// coverage of the tests that need none, per sig, with the uncovered ones and why.
//
//   npm run conformance:coverage            (--json for machine-readable output)
//
// A test covers an upstream entry when it is named exactly as the entry's `testname` and is
// not skipped. Names upstream uses several times ("EndpointSlice API") are told apart by a
// `// codename: <upstream codename>` comment on the line before the test; without one, a
// test covers the first entry of that name not covered yet. Tests named after an uncovered
// entry plus more words ("Scheduler, Basic Preemption: ...") are listed, not counted.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const reference = process.env.K8TS_CONFORMANCE_REFERENCE ?? resolve(repo, '../shared/reference');

export interface Entry {
  testname: string;
  codename: string;
  sig: string;
  needsContainers: boolean;
}

export interface FoundTest {
  name: string;
  file: string;
  line: number;
  skip?: string;
  codename?: string;
}

/** Upstream entries in yaml order, each with its sig and the index's container classification. */
export function loadEntries(dir = reference): Entry[] {
  const yaml = parse(readFileSync(join(dir, 'kubernetes-conformance.yaml'), 'utf8')) as { testname: string; codename: string }[];
  const index = readFileSync(join(dir, 'CONFORMANCE-INDEX.md'), 'utf8');
  // sig -> rows in order (a name can repeat; the k-th row of a name is the k-th yaml entry of it).
  const rows = new Map<string, { name: string; yes: boolean }[]>();
  let sig = '';
  for (const line of index.split('\n')) {
    const h = /^## (sig-[a-z-]+)/.exec(line);
    if (h) {
      sig = h[1]!;
      continue;
    }
    const r = /^\| (.+) \| (.+) \| (yes|no) \|$/.exec(line);
    if (r && sig && r[1] !== 'testname') {
      const list = rows.get(sig) ?? [];
      list.push({ name: r[1]!, yes: r[3] === 'yes' });
      rows.set(sig, list);
    }
  }
  const used = new Map<string, number>();
  return yaml.map((e) => {
    const s = /^\[(sig-[a-z-]+)\]/.exec(e.codename)?.[1] ?? 'unknown';
    const key = `${s}\0${e.testname}`;
    const k = used.get(key) ?? 0;
    used.set(key, k + 1);
    const matching = (rows.get(s) ?? []).filter((r) => r.name === e.testname);
    const row = matching[k] ?? matching[0];
    if (!row) throw new Error(`${e.testname} (${s}) is not in CONFORMANCE-INDEX.md`);
    return { testname: e.testname, codename: e.codename, sig: s, needsContainers: row.yes };
  });
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function unquote(q: string, body: string): string {
  if (q === '`') return body;
  try {
    return JSON.parse(q === '"' ? `"${body}"` : `"${body.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
  } catch {
    return body;
  }
}

/** Every `test('name', ...)` / `it('name', ...)` under `dir`, with skips and codename comments. */
export function findTests(dir = join(repo, 'conformance')): FoundTest[] {
  const found: FoundTest[] = [];
  const call = /(?:^|[^\w.])(?:test|it)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1\s*(,\s*\{([^{}]*)\})?/;
  for (const file of walk(dir)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = call.exec(line);
      if (!m || (m[1] === '`' && m[2]!.includes('${'))) return;
      const t: FoundTest = { name: unquote(m[1]!, m[2]!), file: relative(repo, file), line: i + 1 };
      const opts = m[4] ?? '';
      const skip = /\bskip:\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/.exec(opts);
      if (skip) t.skip = unquote(skip[1]!, skip[2]!);
      else if (/\bskip:\s*true\b/.test(opts)) t.skip = 'skipped';
      const prev = lines[i - 1]?.trim() ?? '';
      const cn = /^\/\/\s*codename:\s*(.+)$/.exec(prev);
      if (cn) t.codename = cn[1]!.trim();
      found.push(t);
    });
  }
  return found;
}

/**
 * Why the tests k8ts does not run are not run: what each needs that does not exist yet.
 * Keyed by testname (or codename for names upstream repeats).
 */
const NEEDS: [RegExp, string][] = [
  [/^Priority and Fairness/, 'flowcontrol.apiserver.k8s.io (API priority and fairness) is not served'],
  [/matchConditions|Admission webhook|^ValidatingAdmissionPolicy/, 'admissionregistration.k8s.io (webhooks, admission policies, CEL) is not served'],
  [/^Aggregated Discovery/, 'built-in groups the test requires are not served (apiextensions, apiregistration, admissionregistration, authentication, authorization, certificates, node.k8s.io, storage csinodes)'],
  [/^Custom Resource|CR |CR$|^Server side field validation, unknown metadata$|^Server side field validation, .*CR/, 'CustomResourceDefinitions (apiextensions.k8s.io) are not served'],
  [/^Garbage Collector/, 'needs the garbage collector and workload controllers'],
  [/^namespace-deletion/, 'needs the namespace controller'],
  [/^ResourceQuota, (object count quota|quota scope)/, 'needs the resource quota controller (status.used) and quota admission'],
  [/^PodDisruptionBudget: (block an eviction|Status updates)/, 'needs the disruption controller (and pods/eviction)'],
  [/^Conformance tests minimum number of nodes/, 'needs node agents'],
  [/^CertificateSigningRequest API/, 'certificates.k8s.io is not served'],
  [/^RootCA ConfigMap/, 'needs the root-CA publisher controller'],
  [/^SubjectReview/, 'authorization.k8s.io (SubjectAccessReviews, impersonation) is not served'],
  [/^EndpointSlice Mirroring|^Service, endpoints/, 'needs the endpoints / endpointslice controllers'],
  [/^Scheduling|^Scheduler|preemption|Preemption|DisruptionTarget/, 'needs the scheduler and nodes'],
  [/^Pod Eviction|^Taint, Pod Eviction/, 'needs the node lifecycle (taint) controller and nodes'],
  [/^Pods, assigned hostip/, 'needs a node agent to set status.hostIP'],
  [/RuntimeClass/, 'node.k8s.io (RuntimeClass) is not served'],
  [/^LimitRange, resources$/, 'needs the LimitRanger admission plugin'],
  [/^CSIDriver|^CSINode|^CSIStorageCapacity|^VolumeAttachment/, 'these storage.k8s.io resources are not served'],
];

const NEEDS_BY_CODENAME: [RegExp, string][] = [
  [/EndpointSlice should (create Endpoints and EndpointSlices for Pods|create and delete Endpoints and EndpointSlices)/, 'needs the endpointslice controller'],
  [/EndpointSlice should have Endpoints and EndpointSlices pointing to API Server/, 'the kubernetes Service gets no endpoints while the API server listens on loopback only (Endpoints cannot hold loopback addresses), as these tests run it'],
];

function reasonFor(e: Entry): string {
  for (const [re, why] of NEEDS_BY_CODENAME) if (re.test(e.codename)) return why;
  for (const [re, why] of NEEDS) if (re.test(e.testname)) return why;
  return 'not covered yet';
}

export interface Coverage {
  entries: Entry[];
  covered: Map<Entry, FoundTest>;
  skipped: Map<Entry, FoundTest>;
  unknownNames: FoundTest[];
  /** Tests named `<testname>: more words` (or `<testname> and ...`) after an entry they do not cover: not counted. */
  nearMisses: { test: FoundTest; entry: Entry }[];
}

export function coverage(entries = loadEntries(), tests = findTests()): Coverage {
  const covered = new Map<Entry, FoundTest>();
  const skipped = new Map<Entry, FoundTest>();
  const names = new Set(entries.map((e) => e.testname));
  const unknownNames: FoundTest[] = [];
  const pick = (t: FoundTest, taken: Map<Entry, FoundTest>): Entry | undefined => {
    const candidates = entries.filter((e) => e.testname === t.name && !taken.has(e));
    if (t.codename) return candidates.find((e) => e.codename === t.codename);
    return candidates.find((e) => !e.needsContainers) ?? candidates[0];
  };
  // Explicit codenames first, so that unmarked tests take what is left.
  const ordered = [...tests].sort((a, b) => Number(!!b.codename) - Number(!!a.codename));
  for (const t of ordered) {
    if (!names.has(t.name)) continue;
    if (t.skip) {
      const e = pick(t, new Map([...covered, ...skipped]));
      if (e) skipped.set(e, t);
      continue;
    }
    const e = pick(t, covered);
    if (e) {
      covered.set(e, t);
      skipped.delete(e);
    }
  }
  for (const t of tests) if (t.codename && !entries.some((e) => e.codename === t.codename)) unknownNames.push(t);
  const nearMisses: Coverage['nearMisses'] = [];
  for (const t of tests) {
    if (names.has(t.name)) continue;
    const entry = entries
      .filter((e) => !covered.has(e) && t.name.startsWith(e.testname) && /^[\s:(]/.test(t.name.slice(e.testname.length)))
      .sort((a, b) => b.testname.length - a.testname.length)[0];
    if (entry) nearMisses.push({ test: t, entry });
  }
  return { entries, covered, skipped, unknownNames, nearMisses };
}

function main(): void {
  if (!existsSync(join(reference, 'kubernetes-conformance.yaml'))) {
    process.stderr.write(`conformance-coverage: no upstream list at ${reference} (set K8TS_CONFORMANCE_REFERENCE)\n`);
    process.exit(2);
  }
  const cov = coverage();
  const pool = cov.entries.filter((e) => !e.needsContainers);
  const sigs = [...new Set(cov.entries.map((e) => e.sig))];
  if (process.argv.includes('--json')) {
    const out = {
      covered: pool.filter((e) => cov.covered.has(e)).length,
      total: pool.length,
      perSig: Object.fromEntries(sigs.map((s) => [s, { covered: pool.filter((e) => e.sig === s && cov.covered.has(e)).length, total: pool.filter((e) => e.sig === s).length }])),
      uncovered: pool.filter((e) => !cov.covered.has(e)).map((e) => ({ sig: e.sig, testname: e.testname, codename: e.codename, reason: cov.skipped.get(e)?.skip ?? reasonFor(e) })),
      nearMisses: cov.nearMisses.map(({ test, entry }) => ({ file: test.file, line: test.line, name: test.name, testname: entry.testname })),
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  const lines: string[] = [];
  const n = pool.filter((e) => cov.covered.has(e)).length;
  lines.push(`Upstream conformance tests needing no running containers: covered ${n} of ${pool.length}`);
  const am = pool.filter((e) => e.sig === 'sig-api-machinery');
  lines.push(`  of which sig-api-machinery: covered ${am.filter((e) => cov.covered.has(e)).length} of ${am.length}`);
  lines.push('');
  lines.push('Per sig (needing no running containers):');
  const width = Math.max(...sigs.map((s) => s.length));
  for (const s of sigs) {
    const mine = pool.filter((e) => e.sig === s);
    const c = mine.filter((e) => cov.covered.has(e)).length;
    lines.push(`  ${s.padEnd(width)}  ${String(c).padStart(3)} of ${String(mine.length).padStart(3)}`);
  }
  const extra = cov.entries.filter((e) => e.needsContainers && cov.covered.has(e)).length;
  if (extra) lines.push(`  (plus ${extra} tests that need running containers)`);
  lines.push('');
  lines.push('Not covered (needing no running containers), and why:');
  for (const s of sigs) {
    const missing = pool.filter((e) => e.sig === s && !cov.covered.has(e));
    if (missing.length === 0) continue;
    lines.push(`  ${s}:`);
    for (const e of missing) {
      const sk = cov.skipped.get(e);
      const why = sk ? `skipped: ${sk.skip} (${sk.file}:${sk.line})` : reasonFor(e);
      const dup = cov.entries.filter((x) => x.testname === e.testname).length > 1 ? ` [${e.codename}]` : '';
      lines.push(`    - ${e.testname}${dup} — ${why}`);
    }
  }
  if (cov.nearMisses.length) {
    lines.push('');
    lines.push('Tests named after an uncovered upstream testname plus more words (not counted: a test covers an entry when named exactly as its testname):');
    for (const { test, entry } of cov.nearMisses) lines.push(`  ${test.file}:${test.line} "${test.name}" (upstream: "${entry.testname}")`);
  }
  if (cov.unknownNames.length) {
    lines.push('');
    lines.push('Codename comments that match no upstream entry:');
    for (const t of cov.unknownNames) lines.push(`  ${t.file}:${t.line} ${t.codename}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) main();
