import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelProtocol, CLOSE, decodeFrame, encodeFrame, negotiateProtocol, offeredProtocols, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS, STDIN, STDOUT } from './channel.ts';
import { exitStatus, internalErrorStatus, parseStatus, statusText } from './status.ts';

test('protocol names: version and encoding', () => {
  assert.deepEqual(channelProtocol('v5.channel.k8s.io'), { name: 'v5.channel.k8s.io', base64: false, version: 5 });
  assert.deepEqual(channelProtocol('v4.base64.channel.k8s.io'), { name: 'v4.base64.channel.k8s.io', base64: true, version: 4 });
  assert.deepEqual(channelProtocol('base64.channel.k8s.io'), { name: 'base64.channel.k8s.io', base64: true, version: 1 });
  assert.deepEqual(channelProtocol(''), { name: '', base64: false, version: 1 });
});

test('negotiation: the first protocol the client offers that is supported', () => {
  assert.deepEqual(offeredProtocols('v5.channel.k8s.io, v4.channel.k8s.io,channel.k8s.io'), ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']);
  assert.equal(negotiateProtocol(['v9.channel.k8s.io', 'v4.channel.k8s.io', 'v5.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS), 'v4.channel.k8s.io');
  assert.equal(negotiateProtocol([], REMOTE_COMMAND_PROTOCOLS), '');
  assert.equal(negotiateProtocol(['v5.channel.k8s.io'], PORT_FORWARD_PROTOCOLS), undefined);
});

test('frames: a channel byte (binary) or an ASCII digit and base64 (text), the close signal included', () => {
  const bin = channelProtocol('v5.channel.k8s.io');
  const b = encodeFrame(bin, STDOUT, Buffer.from('hi'));
  assert.deepEqual(b, { payload: Buffer.from([1, 0x68, 0x69]), binary: true });
  assert.deepEqual(decodeFrame(bin, b.payload as Buffer), { channel: STDOUT, data: Buffer.from('hi') });
  const b64 = channelProtocol('v5.base64.channel.k8s.io');
  const t = encodeFrame(b64, STDOUT, Buffer.from('hi'));
  assert.deepEqual(t, { payload: '1aGk=', binary: false });
  assert.deepEqual(decodeFrame(b64, Buffer.from(t.payload as string)), { channel: STDOUT, data: Buffer.from('hi') });
  const close = encodeFrame(b64, CLOSE, Buffer.from([STDIN]));
  assert.deepEqual(decodeFrame(b64, Buffer.from(close.payload as string)), { channel: CLOSE, data: Buffer.from([STDIN]) });
  assert.equal(decodeFrame(bin, Buffer.alloc(0)), undefined);
});

test('statuses: success, the exit code as upstream reports it, internal errors, and the pre-v4 text', () => {
  assert.deepEqual(exitStatus(0, ['true']), { metadata: {}, status: 'Success' });
  const failed = exitStatus(3, ['sh', '-c', 'exit 3']);
  assert.deepEqual(failed, {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  assert.equal(statusText(exitStatus(0, ['x'])), '');
  assert.match(statusText(failed), /exit code 3$/);
  assert.equal(internalErrorStatus('boom').code, 500);
  assert.deepEqual(parseStatus(JSON.stringify(failed)), failed);
  assert.equal(parseStatus('not json'), undefined);
});
