// Child process of storage/mvcc/crash.test.ts: opens the LevelDB store at argv[2] and
// writes until it is killed, printing one line per ACKNOWLEDGED write (only after the
// store's promise resolved):
//
//   ACK {"t":"put","k":"/crash/k07","v":"r3.o12.0","rev":57}
//   ACK {"t":"txn","puts":[["/crash/k01","r3.o13.0"],["/crash/k02","r3.o13.1"]],"ok":true,"rev":58}
//   ACK {"t":"del","k":"/crash/k1","end":"/crash/k2","n":3,"rev":59}
//
// Values are "r<run>.o<op>.<i>": every write (a put, or a whole txn) has its own op number,
// so the parent can tell which write made which revision and spot a write applied twice.
// Other stdout lines (logs) are not acks. Usage: crash-writer.ts <dir> <run> <seed>
import { prefixEnd } from '../bytes.ts';
import type { Store, TxnOp } from '../store.ts';
import { openMvccStore } from '../mvcc/mvcc-store.ts';
import { Rng } from './random-ops.ts';

export const CRASH_KEYS = Array.from({ length: 40 }, (_, i) => `/crash/k${String(i).padStart(2, '0')}`);

export type Ack =
  | { t: 'put'; k: string; v: string; rev: number }
  | { t: 'txn'; puts: Array<[string, string]>; ok: boolean; rev: number }
  | { t: 'del'; k: string; end?: string; n: number; rev: number };

function ack(a: Ack): void {
  process.stdout.write(`ACK ${JSON.stringify(a)}\n`);
}

async function writeForever(store: Store, run: number, rng: Rng): Promise<never> {
  let op = 0;
  const val = (o: number, i: number) => `r${run}.o${o}.${i}`;
  for (;;) {
    const kind = rng.weighted({ put: 35, concurrent: 25, txn: 25, del: 15 });
    if (kind === 'put') {
      const k = rng.pick(CRASH_KEYS);
      const v = val(op++, 0);
      const r = await store.put(k, v);
      ack({ t: 'put', k, v, rev: r.header.revision });
    } else if (kind === 'concurrent') {
      const n = rng.int(8, 64);
      await Promise.all(
        Array.from({ length: n }, () => {
          const k = rng.pick(CRASH_KEYS);
          const v = val(op++, 0);
          return store.put(k, v).then((r) => ack({ t: 'put', k, v, rev: r.header.revision }));
        }),
      );
    } else if (kind === 'txn') {
      const o = op++;
      const keys = [...new Set(Array.from({ length: rng.int(2, 5) }, () => rng.pick(CRASH_KEYS)))];
      const half = Math.ceil(keys.length / 2);
      const success = keys.slice(0, half).map((k, i): [string, string] => [k, val(o, i)]);
      const failure = keys.slice(half).map((k, i): [string, string] => [k, val(o, half + i)]);
      const asOps = (ps: Array<[string, string]>): TxnOp[] => ps.map(([key, value]) => ({ type: 'put', key, value }));
      const r = await store.txn({
        compare: [{ key: rng.pick(CRASH_KEYS), target: 'version', result: rng.pick(['<', '>'] as const), value: rng.int(0, 6) }],
        success: asOps(success),
        failure: asOps(failure),
      });
      const puts = r.succeeded ? success : failure;
      // A txn with an empty branch writes nothing and makes no revision.
      if (puts.length > 0) ack({ t: 'txn', puts, ok: r.succeeded, rev: r.header.revision });
    } else {
      if (rng.chance(0.5)) {
        const k = rng.pick(CRASH_KEYS);
        const r = await store.delete(k);
        ack({ t: 'del', k, n: r.deleted, rev: r.header.revision });
      } else {
        const k = `/crash/k${rng.int(0, 3)}`;
        const end = prefixEnd(k).toString('latin1');
        const r = await store.delete(k, { rangeEnd: end });
        ack({ t: 'del', k, end, n: r.deleted, rev: r.header.revision });
      }
    }
  }
}

async function main(): Promise<void> {
  const [dir, run = '0', seed = '1'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: crash-writer.ts <dir> <run> <seed>');
  const store = await openMvccStore({ dir });
  process.stdout.write('OPEN\n');
  await writeForever(store, Number(run), new Rng(Number(seed)));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('crash-writer.ts')) {
  main().catch((e) => {
    process.stderr.write(`crash-writer: ${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
}
