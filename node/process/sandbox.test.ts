import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { canSandbox, hostFs, sandboxArgv, sandboxScript, shq, type SandboxSpec } from './sandbox.ts';

/** A fake host: these paths exist (dirs unless they end in a dot-extension), /var/run → /run. */
function fakeHost(paths: string[]): Pick<SandboxSpec, 'stat' | 'resolve' | 'topLevel'> {
  const all = new Set<string>(['/']);
  for (const p of paths) for (let q = p; q !== '/'; q = posix.dirname(q)) all.add(q);
  const link = (p: string) => (p === '/var/run' || p.startsWith('/var/run/') ? `/run${p.slice('/var/run'.length)}` : p);
  return {
    stat: (p) => (all.has(link(p)) ? (/\.\w+$/.test(p) ? 'file' : 'dir') : undefined),
    resolve: link,
    topLevel: [['usr', 'dir'], ['proc', 'dir'], ['bin', 'symlink'], ['etc', 'dir'], ['dev', 'dir']],
  };
}

const base = { root: '/d/root', scratch: '/d/scratch', startedMarker: '/d/started', hostname: 'web-0', workingDir: '' };

test('shell quoting', () => {
  assert.equal(shq("it's"), `'it'\\''s'`);
});

test('the sandbox mirrors the host root, makes missing mount points in tmpfs or an overlay, and binds volumes', () => {
  const script = sandboxScript({
    ...base,
    ...fakeHost(['/usr/share/doc', '/etc/hosts.txt', '/run', '/vol/a', '/vol/b', '/vol/c', '/vol/page.html', '/vol/term.log', '/dev/null']),
    mounts: [
      { containerPath: '/usr/share/nginx/html', hostPath: '/vol/a', readOnly: true },
      { containerPath: '/data', hostPath: '/vol/b', readOnly: false },
      { containerPath: '/data/sub/page.html', hostPath: '/vol/page.html', readOnly: false },
      { containerPath: '/var/run/secrets/x', hostPath: '/vol/c', readOnly: true },
      { containerPath: '/dev/termination-log', hostPath: '/vol/term.log', readOnly: false },
    ],
    workingDir: '/usr/share/nginx/html',
  });
  const lines = script.split('\n');
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `no line matching ${re} in\n${script}`);
  has(/^R='\/d\/root'; S='\/d\/scratch'$/);
  has(/^mount -t tmpfs -o mode=0755 k8ts-root "\$R"/);
  has(/^d 'usr'$/);
  has(/^l 'bin'$/);
  has(/mount -t proc proc "\$R"'\/proc'/);
  // /usr/share exists on the host: an overlay over it takes the new directories.
  has(/mount -t overlay k8ts-overlay -o "lowerdir=\$R"'\/usr\/share'",upperdir=\$S\/0\/upper,workdir=\$S\/0\/work" "\$R"'\/usr\/share'/);
  has(/^mkdir -p "\$R"'\/usr\/share\/nginx\/html' /);
  has(/mount --rbind '\/vol\/a' "\$R"'\/usr\/share\/nginx\/html'/);
  has(/mount -o remount,bind,ro "\$R"'\/usr\/share\/nginx\/html'/);
  // /data is new at the top: made in the root tmpfs, no overlay; a file mount below it in the volume.
  has(/^mkdir -p "\$R"'\/data' /);
  has(/mkdir -p "\$R"'\/data\/sub' && \{ \[ -e "\$R"'\/data\/sub\/page.html' \] \|\| : > "\$R"'\/data\/sub\/page.html'; \}/);
  // /var/run is a link to /run: the mount goes where the link leads, over an overlay of /run.
  has(/lowerdir=\$R"'\/run'",/);
  has(/mount --rbind '\/vol\/c' "\$R"'\/run\/secrets\/x'/);
  // /dev is the container's own tmpfs: its files are made there.
  has(/mount -t devpts -o newinstance/);
  has(/\[ -e "\$R"'\/dev\/termination-log' \] \|\| : > "\$R"'\/dev\/termination-log'/);
  has(/mount --rbind '\/vol\/term.log' "\$R"'\/dev\/termination-log'/);
  assert.equal(lines.filter((l) => l.includes('-t overlay')).length, 2);
  has(/^hostname 'web-0'/);
  assert.equal(lines[lines.length - 1], `exec unshare --root="$R" --wd='/usr/share/nginx/html' -- "$@"`);
});

test('only the highest overlay is made when missing paths nest', () => {
  const script = sandboxScript({
    ...base,
    ...fakeHost(['/opt/a/b', '/vol/x', '/vol/y']),
    mounts: [
      { containerPath: '/opt/a/b/c/d', hostPath: '/vol/x', readOnly: false },
      { containerPath: '/opt/n/m/k/j/i', hostPath: '/vol/y', readOnly: false },
    ],
  });
  const overlays = script.split('\n').filter((l) => l.includes('-t overlay'));
  assert.equal(overlays.length, 1);
  assert.match(overlays[0]!, /lowerdir=\$R"'\/opt'",/);
});

test('a mount point that is a file where a directory is wanted is an error', () => {
  assert.throws(
    () => sandboxScript({ ...base, ...fakeHost(['/etc/hosts.txt', '/vol/a']), mounts: [{ containerPath: '/etc/hosts.txt', hostPath: '/vol/a', readOnly: false }] }),
    /exists and is not a directory/,
  );
});

test('a real sandbox: own hostname and PIDs, volumes at their paths, read-only where asked, host untouched', { skip: canSandbox() ? false : 'needs root and unshare' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-sandbox-'));
  try {
    for (const d of ['root', 'scratch', 'html', 'data']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'html', 'index.html'), 'hello from a volume\n');
    const mounts = [
      { containerPath: '/usr/share/k8ts-test-nginx/html', hostPath: join(dir, 'html'), readOnly: true },
      { containerPath: '/k8ts-test-data', hostPath: join(dir, 'data'), readOnly: false },
      { containerPath: '/dev/termination-log', hostPath: join(dir, 'term'), readOnly: false },
    ];
    writeFileSync(join(dir, 'term'), '');
    const script = sandboxScript({ root: join(dir, 'root'), scratch: join(dir, 'scratch'), startedMarker: join(dir, 'started'), hostname: 'pod-a', workingDir: '/k8ts-test-data', mounts, ...hostFs() });
    const cmd = 'echo "$(hostname) $$ $(pwd)"; cat /usr/share/k8ts-test-nginx/html/index.html; echo x > /k8ts-test-data/f && echo wrote; touch /usr/share/k8ts-test-nginx/html/y 2>/dev/null || echo read-only; echo bye > /dev/termination-log; ls /dev | tr "\\n" " "';
    const [bin, ...args] = sandboxArgv(script, ['sh', '-c', cmd]);
    const r = spawnSync(bin!, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    assert.equal(r.status, 0, `${r.stderr}${r.output[3]}`);
    assert.equal(r.stdout, 'pod-a 1 /k8ts-test-data\nhello from a volume\nwrote\nread-only\nfd full null ptmx pts random shm stderr stdin stdout termination-log tty urandom zero ');
    assert.equal(readFileSync(join(dir, 'term'), 'utf8'), 'bye\n');
    assert.ok(existsSync(join(dir, 'started')));
    assert.ok(existsSync(join(dir, 'data', 'f')));
    assert.ok(!existsSync('/usr/share/k8ts-test-nginx'));
    assert.ok(!existsSync('/k8ts-test-data'));
    assert.deepEqual(readdirSync(join(dir, 'root')), []);
    assert.equal(dirname(join(dir, 'root')), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
