import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, field, keyElement, parsePathElement, pathString, serializePathElement, type Path } from './fieldpath.ts';

const f = field;
const k = (fields: Record<string, string | number>) => keyElement(Object.entries(fields));
const v = (value: string) => ({ kind: 'value' as const, value });

describe('path elements', () => {
  it('serialize as fieldsV1 keys with key fields sorted by name', () => {
    assert.equal(serializePathElement(f('spec')), 'f:spec');
    assert.equal(serializePathElement(k({ protocol: 'TCP', containerPort: 80 })), 'k:{"containerPort":80,"protocol":"TCP"}');
    assert.equal(serializePathElement(v('a')), 'v:"a"');
    assert.equal(serializePathElement({ kind: 'index', index: 2 }), 'i:2');
  });

  it('parse back what they serialize to', () => {
    for (const s of ['f:metadata', 'k:{"name":"nginx"}', 'k:{"containerPort":80,"protocol":"TCP"}', 'v:"finalizer.example.com"', 'i:0']) {
      assert.equal(serializePathElement(parsePathElement(s)), s);
    }
    assert.throws(() => parsePathElement('x:1'));
  });

  it('print as upstream prints paths in conflicts', () => {
    const p: Path = [f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'nginx' }), f('image')];
    assert.equal(pathString(p), '.spec.template.spec.containers[name="nginx"].image');
    assert.equal(pathString([f('spec'), f('ports'), k({ port: 80, protocol: 'TCP' })]), '.spec.ports[port=80,protocol="TCP"]');
    assert.equal(pathString([f('metadata'), f('finalizers'), v('x')]), '.metadata.finalizers[="x"]');
  });
});

describe('field sets', () => {
  const labels: Path = [f('metadata'), f('labels')];
  const app: Path = [...labels, f('app')];
  const replicas: Path = [f('spec'), f('replicas')];
  const nginx: Path = [f('spec'), f('containers'), k({ name: 'nginx' })];

  it('encode members and parents as fieldsV1, `.` marking a node that is both', () => {
    const s = FieldSet.of(labels, app, replicas, nginx, [...nginx, f('image')]);
    assert.deepEqual(s.toFieldsV1(), {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} },
    });
    assert.ok(FieldSet.fromFieldsV1(s.toFieldsV1()).equals(s), 'FieldSet.fromFieldsV1(s.toFieldsV1()).equals(s)');
  });

  it('sort fields before keys before values, each by value', () => {
    const s = FieldSet.of([f('b')], [f('a')], [k({ name: 'z' })], [k({ name: 'a' })], [v('x')]);
    assert.deepEqual(Object.keys(s.toFieldsV1()), ['f:a', 'f:b', 'k:{"name":"a"}', 'k:{"name":"z"}', 'v:"x"']);
  });

  it('union, difference, intersection and has', () => {
    const a = FieldSet.of(app, replicas);
    const b = FieldSet.of(replicas, nginx);
    assert.ok(a.union(b).has(nginx) && a.union(b).has(app), 'a.union(b).has(nginx) && a.union(b).has(app)');
    assert.ok(a.difference(b).equals(FieldSet.of(app)), 'a.difference(b).equals(FieldSet.of(app))');
    assert.ok(a.intersection(b).equals(FieldSet.of(replicas)), 'a.intersection(b).equals(FieldSet.of(replicas))');
    assert.ok(!a.has(labels), 'a parent of a member is not itself a member');
    assert.ok(new FieldSet().empty() && a.difference(a).empty(), 'new FieldSet().empty() && a.difference(a).empty()');
  });

  it('recursiveDifference drops the subtrees of the other set’s members', () => {
    const s = FieldSet.of(replicas, nginx, [...nginx, f('image')], app);
    const out = s.recursiveDifference(FieldSet.of([f('spec')]));
    assert.ok(out.equals(FieldSet.of(app)), 'out.equals(FieldSet.of(app))');
    assert.ok(s.difference(FieldSet.of([f('spec')])).has(replicas), 'a plain difference keeps the children');
  });

  it('iterates paths members first, then children, sorted', () => {
    const s = FieldSet.of(nginx, [...nginx, f('name')], replicas, [f('kind')]);
    assert.deepEqual(
      s.paths().map(pathString),
      ['.kind', '.spec.replicas', '.spec.containers[name="nginx"]', '.spec.containers[name="nginx"].name'],
    );
  });
});
