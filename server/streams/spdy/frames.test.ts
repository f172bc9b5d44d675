import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createInflate } from 'node:zlib';
import { adler32, SPDY3_DICTIONARY } from './dictionary.ts';
import {
  controlFrame,
  dataFrame,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  HeaderCompressor,
  HeaderDecompressor,
  parseHeaderBlock,
  parseSynStream,
  PING,
  rstStreamFrame,
  SYN_STREAM,
  type HeaderList,
} from './frames.ts';
import { clientCompressor } from './test-client.ts';

test('the SPDY/3 dictionary: 1423 bytes, and the id clients name it by', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
  assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('charset=iso-8859-1,utf-,*,enq=0.'));
});

test('frames: encoded, and read back however the bytes arrive', () => {
  const wire = Buffer.concat([dataFrame(5, FLAG_FIN, Buffer.from('hello')), controlFrame(PING, 0, Buffer.from([0, 0, 0, 7])), rstStreamFrame(3, 5), dataFrame(0x7ffffffd, 0, Buffer.alloc(0))]);
  const reader = new FrameReader();
  const frames = [...wire].flatMap((b) => reader.push(Buffer.from([b])));
  assert.deepEqual(frames, [
    { control: false, streamId: 5, flags: FLAG_FIN, data: Buffer.from('hello') },
    { control: true, version: 3, type: PING, flags: 0, body: Buffer.from([0, 0, 0, 7]) },
    { control: true, version: 3, type: 3, flags: 0, body: Buffer.from([0, 0, 0, 3, 0, 0, 0, 5]) },
    { control: false, streamId: 0x7ffffffd, flags: 0, data: Buffer.alloc(0) },
  ]);
  assert.deepEqual(new FrameReader().push(wire.subarray(0, 12)), [], 'an incomplete frame waits');
});

test('header blocks: names lower-cased, values kept, several values NUL-joined', () => {
  const headers: HeaderList = [
    ['StreamType', 'error'],
    ['port', '8080'],
    ['x', 'a\0b'],
  ];
  assert.deepEqual(parseHeaderBlock(encodeHeaderBlock(headers)), { streamtype: 'error', port: '8080', x: 'a\0b' });
  assert.deepEqual(parseHeaderBlock(encodeHeaderBlock([])), {});
  assert.throws(() => parseHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 1])), /truncated/);
});

test("the client's compressed header blocks decode across frames (one zlib stream)", async () => {
  const compress = clientCompressor();
  const inflater = new HeaderDecompressor();
  const first = await compress(encodeHeaderBlock([['streamtype', 'error'], ['port', '80'], ['requestid', '0']]));
  assert.deepEqual([...first.subarray(0, 6)], [0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2], 'a zlib header naming the dictionary');
  assert.deepEqual(parseHeaderBlock(await inflater.inflate(first)), { streamtype: 'error', port: '80', requestid: '0' });
  const second = await compress(encodeHeaderBlock([['streamtype', 'data'], ['port', '80'], ['requestid', '0']]));
  assert.deepEqual(parseHeaderBlock(await inflater.inflate(second)), { streamtype: 'data', port: '80', requestid: '0' });
  inflater.close();
});

test("this side's header blocks: a zlib stream with the dictionary's id, each block sync-flushed", async () => {
  const c = new HeaderCompressor();
  const z = createInflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  const read = (b: Buffer) => new Promise<Buffer>((resolve) => (z.write(b), z.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))))));
  const empty = c.block(encodeHeaderBlock([]));
  assert.deepEqual([...empty.subarray(0, 6)], [0x78, 0xbb, 0xe3, 0xc6, 0xa7, 0xc2]);
  assert.deepEqual([...empty.subarray(-5)], [0, 0, 0, 0xff, 0xff], 'ends as a sync flush does');
  assert.deepEqual(parseHeaderBlock(await read(empty)), {});
  const big: HeaderList = [['x', 'v'.repeat(70_000)]];
  assert.deepEqual(parseHeaderBlock(await read(c.block(encodeHeaderBlock(big)))), { x: 'v'.repeat(70_000) });
});

test('SYN_STREAM fields', async () => {
  const block = Buffer.from('compressed');
  const body = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0, 0x40, 0]), block]);
  assert.deepEqual(parseSynStream(body), { streamId: 3, associatedId: 0, priority: 2, block });
  assert.throws(() => parseSynStream(Buffer.alloc(4)), /too short/);
  assert.equal(controlFrame(SYN_STREAM, 0, body).readUInt16BE(0), 0x8003);
});
