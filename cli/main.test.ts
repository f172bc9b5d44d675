import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { program } from './main.ts';

const bin = fileURLToPath(new URL('../bin/k8ts.js', import.meta.url));

describe('k8ts command', () => {
  it('--help lists the commands', () => {
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.match(out, /^Usage: k8ts/m);
    assert.match(out, /^\s+up \[options\]\s+start the store and the API server/m);
  });

  it('up --help documents its options with their defaults', () => {
    const help = program().commands.find((c) => c.name() === 'up')!.helpInformation();
    assert.match(help.replace(/\s+/g, " "), /--data-dir <dir> .* \(default: "\.\/\.k8ts"\)/);
    assert.match(help, /--port <port>.*\(default: 6443\)/);
    assert.match(help, /--store <url>/);
  });

  it('server and member document their options', () => {
    const cmd = program();
    const server = cmd.commands.find((c) => c.name() === 'server')!.helpInformation().replace(/\s+/g, ' ');
    for (const o of ['--name <name>', '--peers <list>', '--join', '--store-listen <host:port>', '--snapshot-entries <n>', '--no-apiserver']) assert.ok(server.includes(o), o);
    const member = cmd.commands.find((c) => c.name() === 'member')!;
    assert.deepEqual(member.commands.map((c) => c.name()), ['list', 'add', 'promote', 'remove']);
    assert.match(member.commands.find((c) => c.name() === 'add')!.helpInformation(), /--learner/);
    assert.match(cmd.commands.find((c) => c.name() === 'up')!.helpInformation().replace(/\s+/g, ' '), /--servers <n> run a replicated control plane/);
  });

  it('rejects a bad port', () => {
    assert.throws(() => execFileSync(process.execPath, [bin, 'up', '--port', 'x'], { encoding: 'utf8', stdio: 'pipe' }), /not a port number/);
  });
});
