import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeletEndpointOf, kubeletError } from './kubelet-client.ts';
import { agentQuery } from './remotecommand.ts';
import { expectedStreams, ResizeDecoder } from './spdy-remotecommand.ts';
import { requestIdOf } from './spdy-portforward.ts';
import type { SpdyStream } from './spdy/session.ts';

test('the streams a SPDY client opens, by options and protocol', () => {
  const o = { stdin: true, stdout: true, stderr: true, tty: false };
  assert.deepEqual(expectedStreams(o, 'v4.channel.k8s.io'), ['error', 'stdin', 'stdout', 'stderr']);
  assert.deepEqual(expectedStreams({ ...o, tty: true }, 'v4.channel.k8s.io'), ['error', 'stdin', 'stdout', 'resize']);
  assert.deepEqual(expectedStreams({ ...o, tty: true }, 'v2.channel.k8s.io'), ['error', 'stdin', 'stdout']);
});

test('resize events: JSON values one after another, however they are split', () => {
  const d = new ResizeDecoder();
  assert.deepEqual(d.push(Buffer.from('{"Width":80,"Hei')), []);
  assert.deepEqual(d.push(Buffer.from('ght":24}\n{"Width":100,"Height":40}\n{"Wi')), ['{"Width":80,"Height":24}', '{"Width":100,"Height":40}']);
  assert.deepEqual(d.push(Buffer.from('dth":1,"Height":2,"x":"}"}')), ['{"Width":1,"Height":2,"x":"}"}']);
});

test("the agent's query: the kubelet's flags and the command", () => {
  assert.equal(agentQuery({ stdin: true, stdout: true, stderr: false, tty: true }, ['sh', '-c', 'a b']).toString(), 'input=1&output=1&tty=1&command=sh&command=-c&command=a+b');
});

test('port-forward stream pairs: the requestID, or the stream IDs for clients without one', () => {
  const s = (id: number, headers: Record<string, string>) => ({ id, headers }) as unknown as SpdyStream;
  assert.equal(requestIdOf(s(5, { streamtype: 'data', requestid: '2' })), '2');
  assert.equal(requestIdOf(s(1, { streamtype: 'error' })), '1');
  assert.equal(requestIdOf(s(3, { streamtype: 'data' })), '1');
});

test("a node's kubelet endpoint, and the kubelet's errors as the API relays them", () => {
  const node = (status: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status });
  assert.deepEqual(kubeletEndpointOf(node({ addresses: [{ type: 'Hostname', address: 'n' }, { type: 'InternalIP', address: '10.0.0.5' }], daemonEndpoints: { kubeletEndpoint: { Port: 10251 } } })), { host: '10.0.0.5', port: 10251 });
  assert.deepEqual(kubeletEndpointOf(node({ addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] })), { host: '10.0.0.5', port: 10250 });
  assert.equal(kubeletEndpointOf(node({})), undefined);
  assert.deepEqual(kubeletError(400, 'bad\n').toStatus(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'bad', reason: 'BadRequest', code: 400 });
  assert.equal(kubeletError(500, 'boom').message, 'Internal error occurred: boom');
  assert.equal(kubeletError(404, 'container not found ("c")').reason, 'NotFound');
});
