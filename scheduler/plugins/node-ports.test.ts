import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodePortsFilter, portsConflict } from './node-ports.ts';
import { podHostPorts } from '../framework.ts';
import { pod } from '../testing/fixtures.ts';

test('host ports conflict on the same protocol and port when the IPs overlap (0.0.0.0 is every IP)', () => {
  const p = (ip: string, protocol = 'TCP', port = 80) => ({ ip, protocol, port });
  assert.equal(portsConflict([p('0.0.0.0')], [p('127.0.0.1')]), true);
  assert.equal(portsConflict([p('127.0.0.1')], [p('0.0.0.0')]), true);
  assert.equal(portsConflict([p('127.0.0.1')], [p('127.0.0.2')]), false);
  assert.equal(portsConflict([p('0.0.0.0', 'UDP')], [p('0.0.0.0', 'TCP')]), false);
  assert.equal(portsConflict([p('0.0.0.0', 'TCP', 81)], [p('0.0.0.0')]), false);
  assert.deepEqual(nodePortsFilter([p('0.0.0.0')], [p('10.0.0.1')]), { code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] });
});

test('a pod\'s host ports default to TCP on 0.0.0.0', () => {
  const withPorts = pod('p', { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' }, { containerPort: 9 }] }] });
  assert.deepEqual(podHostPorts(withPorts), [
    { ip: '0.0.0.0', protocol: 'TCP', port: 8080 },
    { ip: '127.0.0.1', protocol: 'UDP', port: 53 },
  ]);
});
