import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExecutable, hostPathOf, killLeftovers, launchContainer, processStartTime, StartError, type LaunchSpec } from './container-process.ts';
import { canSandbox } from './sandbox.ts';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function spec(dir: string, argv: string[], sandbox: boolean, extra: Partial<LaunchSpec> = {}): LaunchSpec {
  const runDir = join(dir, 'pods', 'u1', 'containers', 'c', String(Math.random()).slice(2, 8));
  mkdirSync(runDir, { recursive: true });
  return { argv, env: new Map([['PATH', PATH], ['GREETING', 'hi']]), workingDir: '/', mounts: [], hostname: 'pod-x', sandbox, runDir, logPath: join(dir, 'logs', 'c.log'), ...extra };
}

const alive = (pid: number) => processStartTime(pid) !== undefined;
const logLines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => l.replace(/^\S+ /, ''));

test('paths under a volume map to the volume; executables are checked as runc would', () => {
  const mounts = [{ containerPath: '/scripts', hostPath: '/tmp/vol', readOnly: false }];
  assert.equal(hostPathOf(mounts, '/scripts/run.sh'), '/tmp/vol/run.sh');
  assert.equal(hostPathOf(mounts, '/scriptsx'), '/scriptsx');
  assert.doesNotThrow(() => checkExecutable(['sh'], new Map([['PATH', PATH]]), []));
  assert.throws(() => checkExecutable(['no-such-program'], new Map([['PATH', PATH]]), []), (e) => e instanceof StartError && /exec: "no-such-program": executable file not found in \$PATH/.test(e.message));
  assert.throws(() => checkExecutable(['/nope/x'], new Map(), []), /stat \/nope\/x: no such file or directory/);
});

for (const sandbox of [false, true]) {
  const skip = sandbox && !canSandbox() ? 'needs root and unshare' : false;
  test(`${sandbox ? 'sandboxed' : 'plain'} runs: logs, exit codes, exec inside, SIGTERM then SIGKILL`, { skip, timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-run-'));
    try {
      const a = launchContainer(spec(dir, ['sh', '-c', 'echo out $GREETING; echo err >&2; exit 3'], sandbox));
      const ea = await a.exited;
      await a.logged;
      assert.equal(ea.exitCode, 3);
      assert.equal(ea.setupFailed, false);
      assert.deepEqual(logLines(a.spec.logPath), ['stdout F out hi', 'stderr F err']);

      // A shell ignoring SIGTERM: terminate() does not stop it, kill() does; nothing is left behind.
      const b = launchContainer(spec(dir, ['sh', '-c', 'trap "" TERM; sleep 300 & wait; sleep 300'], sandbox, { logPath: join(dir, 'logs', 'b.log') }));
      let main: number | undefined;
      for (let i = 0; i < 100 && !(main = b.mainPid()); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(main);
      await new Promise((r) => setTimeout(r, 300));
      const r = await b.exec(['sh', '-c', 'echo inside $GREETING; exit 4'], 5000);
      assert.deepEqual(r, { code: 4, output: 'inside hi\n' });
      if (sandbox) assert.deepEqual(await b.exec(['hostname'], 5000), { code: 0, output: 'pod-x\n' });
      assert.equal(await b.exec(['sleep', '5'], 200), undefined);
      b.terminate();
      const raced = await Promise.race([b.exited.then(() => 'exited'), new Promise((res) => setTimeout(() => res('still running'), 500))]);
      assert.equal(raced, 'still running');
      b.kill();
      const eb = await b.exited;
      assert.equal(eb.exitCode, 137);
      assert.equal(eb.signal, 9);
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(alive(b.pid), false);
      assert.equal(alive(main!), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('leftover containers of a previous agent are stopped by their recorded PID', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-left-'));
  try {
    const run = launchContainer(spec(dir, ['sleep', '300'], false));
    // A stale record (the PID's start time does not match) is left alone.
    const stale = join(dir, 'pods', 'u2', 'containers', 'c', '1');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'pid'), `${process.pid} 1 group\n`);
    assert.equal(killLeftovers(join(dir, 'pods')), 1);
    const e = await run.exited;
    assert.equal(e.exitCode, 137);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
