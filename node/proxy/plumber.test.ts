// The dummy-interface plumber runs inside a network namespace this test creates and deletes,
// so the host's interfaces are never touched; a child process in that namespace proves the
// plumbed address can be bound. Skipped without root or without `ip`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createPlumber, DummyInterfacePlumber, NoopPlumber } from './plumber.ts';

function hasIpNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs node code inside the namespace; resolves with its stdout. */
function inNetns(ns: string, code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

describe('NoopPlumber', () => {
  it('does nothing and owns nothing', async () => {
    const p = new NoopPlumber();
    await p.ensure('10.96.0.10');
    await p.remove('10.96.0.10');
    assert.deepEqual(await p.list(), []);
    assert.ok(createPlumber('none') instanceof NoopPlumber);
  });
});

describe('DummyInterfacePlumber in a network namespace', { skip: hasIpNetns() ? false : 'needs root and ip netns' }, () => {
  const ns = `k8ts-test-${randomBytes(4).toString('hex')}`;
  let plumber: DummyInterfacePlumber;

  before(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    // Local traffic inside the namespace goes through its own loopback.
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    plumber = new DummyInterfacePlumber({ netns: ns });
  });

  after(() => {
    execFileSync('ip', ['netns', 'del', ns]);
  });

  it('creates k8ts-svc0 and puts addresses on it, idempotently', async () => {
    assert.deepEqual(await plumber.list(), [], 'no interface yet');
    await plumber.ensure('10.96.0.10');
    await plumber.ensure('10.96.0.10');
    await Promise.all([plumber.ensure('10.96.12.34'), plumber.ensure('10.96.0.11')]);
    assert.deepEqual((await plumber.list()).sort(), ['10.96.0.10', '10.96.0.11', '10.96.12.34']);
    const link = execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'k8ts-svc0'], { encoding: 'utf8' });
    assert.equal(JSON.parse(link)[0].link_type, 'ether');
    assert.match(JSON.parse(link)[0].flags.join(','), /UP/);
  });

  it('makes the address bindable and reachable inside the namespace', async () => {
    const code = `const net=require('net');const s=net.createServer((c)=>c.end('hi')).listen(5353,'10.96.0.10',()=>{
      net.connect(5353,'10.96.0.10').on('data',(d)=>{console.log(s.address().address+' '+d);s.close()})})`;
    assert.equal((await inNetns(ns, code)).trim(), '10.96.0.10 hi');
  });

  it('removes addresses (idempotently) and the interface', async () => {
    await plumber.remove('10.96.0.11');
    await plumber.remove('10.96.0.11');
    assert.deepEqual((await plumber.list()).sort(), ['10.96.0.10', '10.96.12.34']);
    await plumber.close();
    assert.deepEqual(await plumber.list(), []);
    await plumber.close();
  });
});
