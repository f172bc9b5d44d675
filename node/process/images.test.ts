import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgv, imageConfig, mergeEnv, repositoryOf } from './images.ts';

test('image names resolve to repositories as a registry client does', () => {
  assert.equal(repositoryOf('nginx'), 'docker.io/library/nginx');
  assert.equal(repositoryOf('nginx:1.27-alpine'), 'docker.io/library/nginx');
  assert.equal(repositoryOf('library/busybox@sha256:abc'), 'docker.io/library/busybox');
  assert.equal(repositoryOf('registry.k8s.io/e2e-test-images/agnhost:2.53'), 'registry.k8s.io/e2e-test-images/agnhost');
  assert.equal(repositoryOf('localhost:5000/app:v1'), 'localhost:5000/app');
  assert.equal(repositoryOf('someone/app'), 'docker.io/someone/app');
});

const env = new Map([['GREETING', 'hi']]);

test('nginx and httpd run the built-in web server on port 80 whatever their arguments', () => {
  for (const [image, root] of [['nginx:1.27', '/usr/share/nginx/html'], ['registry.k8s.io/e2e-test-images/httpd:2.4.38-4', '/usr/local/apache2/htdocs']] as const) {
    const argv = containerArgv({}, imageConfig(image), env);
    assert.equal(argv[0], process.execPath);
    assert.match(argv[1]!, /builtins\/static-server\.mjs$/);
    assert.deepEqual(argv.slice(2, 6), ['--root', root, '--port', '80']);
  }
  // docker-entrypoint.sh runs its arguments: nginx again, or a shell.
  assert.match(containerArgv({ args: ['nginx', '-g', 'daemon off;'] }, imageConfig('nginx'), env)[1]!, /static-server/);
  assert.deepEqual(containerArgv({ args: ['sh', '-c', 'echo $(GREETING)'] }, imageConfig('nginx'), env), ['sh', '-c', 'echo hi']);
  assert.deepEqual(containerArgv({ command: ['/bin/sh'], args: ['-c', 'true'] }, imageConfig('nginx'), env), ['/bin/sh', '-c', 'true']);
});

test('busybox gives the host shell: command and args as Kubernetes combines them', () => {
  const img = imageConfig('busybox:1.36');
  assert.deepEqual(containerArgv({}, img, env), ['sh']);
  assert.deepEqual(containerArgv({ command: ['sh', '-c', 'echo $(GREETING) $(MISSING) $$(GREETING)'] }, img, env), ['sh', '-c', 'echo hi $(MISSING) $(GREETING)']);
  assert.deepEqual(containerArgv({ args: ['echo', 'x'] }, img, env), ['echo', 'x']);
  assert.deepEqual(containerArgv({ command: ['busybox', 'sleep', '1'] }, img, env), ['env', 'sleep', '1']);
  assert.deepEqual(containerArgv({}, imageConfig('alpine'), env), ['sh']);
});

test('agnhost runs its subcommands; pause waits', () => {
  const agn = imageConfig('registry.k8s.io/e2e-test-images/agnhost:2.53');
  const argv = containerArgv({ args: ['netexec', '--http-port=8080'] }, agn, env);
  assert.match(argv[1]!, /builtins\/agnhost\.mjs$/);
  assert.deepEqual(argv.slice(2), ['netexec', '--http-port=8080']);
  assert.deepEqual(containerArgv({}, agn, env).slice(2), ['pause']);
  assert.deepEqual(containerArgv({ command: ['/agnhost', 'serve-hostname'] }, agn, env).slice(2), ['serve-hostname']);
  assert.match(containerArgv({}, imageConfig('registry.k8s.io/pause:3.9'), env)[1]!, /builtins\/pause\.mjs$/);
});

test('unknown images run the command as given, with a PATH', () => {
  const img = imageConfig('example.com/app:v1');
  assert.equal(img.known, undefined);
  assert.deepEqual(containerArgv({ command: ['python3', '-m', 'http.server'] }, img, env), ['python3', '-m', 'http.server']);
  assert.deepEqual(containerArgv({}, img, env), []);
  const merged = mergeEnv(img, [['PATH', '/opt/bin'], ['A', '1']]);
  assert.equal(merged.get('PATH'), '/opt/bin');
  assert.equal(merged.get('A'), '1');
});
