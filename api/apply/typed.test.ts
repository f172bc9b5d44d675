import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathString } from './fieldpath.ts';
import { rootAtom, structField } from './schema.ts';
import { compare, merge, removeItems, toFieldSet, validate } from './typed.ts';
import { FieldSet, field, keyElement } from './fieldpath.ts';

const deployment = rootAtom('V1Deployment');
const pod = rootAtom('V1Pod');
const paths = (s: FieldSet) => s.paths().map(pathString);

describe('apply schema', () => {
  it('types lists from the patch metadata: maps by key, sets, atomic by default', () => {
    const containers = structField('V1PodSpec', 'containers')!;
    assert.equal(containers.kind, 'list');
    assert.deepEqual(containers.kind === 'list' && [containers.associative, containers.keys], [true, ['name']]);
    const ports = structField('V1Container', 'ports')!;
    assert.deepEqual(ports.kind === 'list' && [ports.keys, ports.keyDefaults], [['containerPort', 'protocol'], { protocol: 'TCP' }]);
    const finalizers = structField('V1ObjectMeta', 'finalizers')!;
    assert.deepEqual(finalizers.kind === 'list' && [finalizers.associative, finalizers.keys], [true, []]);
    const args = structField('V1Container', 'args')!;
    assert.equal(args.kind === 'list' && args.associative, false);
  });

  it('keeps atomic structs and maps whole', () => {
    assert.deepEqual(structField('V1DeploymentSpec', 'selector'), { kind: 'struct', model: 'V1LabelSelector', atomic: true });
    const nodeSelector = structField('V1PodSpec', 'nodeSelector')!;
    assert.equal(nodeSelector.kind === 'map' && nodeSelector.atomic, true);
    const labels = structField('V1ObjectMeta', 'labels')!;
    assert.equal(labels.kind === 'map' && labels.atomic, false);
  });
});

describe('toFieldSet', () => {
  it('owns leaves, list items by key (with their `.`) and atomic values whole', () => {
    const config = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] } },
      },
    };
    assert.deepEqual(toFieldSet(config, deployment).toFieldsV1(), {
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {} },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                'f:resources': {},
              },
            },
          },
        },
      },
    });
  });

  it('owns set items by value and null values', () => {
    const s = toFieldSet({ metadata: { finalizers: ['a', 'b'], annotations: null } }, pod);
    assert.deepEqual(paths(s), ['.metadata.annotations', '.metadata.finalizers[="a"]', '.metadata.finalizers[="b"]']);
  });
});

describe('compare', () => {
  it('reports added, modified and removed fields, added parents included', () => {
    const before = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } };
    const after = { metadata: { labels: { app: 'web' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'b', image: 'y' }] } } } };
    const c = compare(before, after, deployment);
    assert.deepEqual(paths(c.modified), ['.spec.replicas']);
    assert.deepEqual(paths(c.added), [
      '.metadata',
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.template.spec.containers[name="b"]',
      '.spec.template.spec.containers[name="b"].image',
      '.spec.template.spec.containers[name="b"].name',
    ]);
    assert.deepEqual(paths(c.removed), [
      '.spec.template.spec.containers[name="a"]',
      '.spec.template.spec.containers[name="a"].image',
      '.spec.template.spec.containers[name="a"].name',
    ]);
  });

  it('treats atomic values as leaves', () => {
    const c = compare({ spec: { selector: { matchLabels: { a: '1' } } } }, { spec: { selector: { matchLabels: { a: '2' } } } }, deployment);
    assert.deepEqual(paths(c.modified), ['.spec.selector']);
  });
});

describe('merge', () => {
  it('merges maps granularly and list items by key, the configuration winning', () => {
    const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x', tty: true }, { name: 'b', image: 'y' }] } } } };
    const config = { metadata: { labels: { b: '3' } }, spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }, { name: 'c', image: 'w' }] } } } };
    assert.deepEqual(merge(live, config, deployment), {
      metadata: { labels: { a: '1', b: '3' } },
      spec: { template: { spec: { containers: [{ name: 'a', image: 'x', tty: true }, { name: 'b', image: 'z' }, { name: 'c', image: 'w' }] } } },
    });
  });

  it('orders items as upstream: live order, the applied items in their relative order', () => {
    const live = { metadata: { finalizers: ['a', 'b', 'c', 'd'] } };
    const config = { metadata: { finalizers: ['d', 'x', 'b'] } };
    // structured-merge-diff walks both lists: `b` waits for `d` (the next shared item), `x`
    // follows `d` as in the configuration.
    assert.deepEqual(merge(live, config, pod), { metadata: { finalizers: ['a', 'c', 'd', 'x', 'b'] } });
    assert.deepEqual(merge({ metadata: { finalizers: ['a', 'b'] } }, { metadata: { finalizers: ['b', 'a'] } }, pod), { metadata: { finalizers: ['b', 'a'] } });
  });

  it('replaces atomic lists and structs', () => {
    const live = { spec: { selector: { matchLabels: { a: '1', b: '2' } }, template: { spec: { containers: [{ name: 'n', args: ['1', '2'] }] } } } };
    const config = { spec: { selector: { matchLabels: { a: '1' } }, template: { spec: { containers: [{ name: 'n', args: ['3'] }] } } } };
    assert.deepEqual(merge(live, config, deployment), config);
  });

  it('rejects duplicate keys in the configuration', () => {
    assert.throws(() => merge({}, { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } } }, deployment), /duplicate entries for key \[name="a"\]/);
  });
});

describe('removeItems', () => {
  it('removes members with their subtree and drops emptied maps and lists', () => {
    const obj = { metadata: { name: 'x', labels: { a: '1' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } };
    const remove = FieldSet.of(
      [field('metadata'), field('labels'), field('a')],
      [field('spec'), field('template'), field('spec'), field('containers'), keyElement([['name', 'a']])],
    );
    assert.deepEqual(removeItems(obj, remove, deployment), { metadata: { name: 'x' }, spec: { replicas: 1 } });
  });
});

describe('validate', () => {
  it('reports undeclared fields, wrong shapes and bad list items with their paths', () => {
    const errs = validate(
      { spec: { foo: 1, replicas: { a: 1 }, template: { spec: { containers: [{ image: 'x' }], volumes: {} } } } },
      deployment,
    ).map((e) => e.message);
    assert.deepEqual(errs, [
      '.spec.foo: field not declared in schema',
      '.spec.replicas: expected scalar, got map',
      '.spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
      '.spec.template.spec.volumes: expected list, got map',
    ]);
    assert.deepEqual(validate({ metadata: { labels: { a: 'b' } }, spec: { x: { y: 1 } } }, rootAtom(undefined)), []);
  });
});
