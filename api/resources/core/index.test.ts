import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { coreResources } from './index.ts';
import { Registry } from '../../registry/registry.ts';

test('discovery facts per resource', () => {
  const facts = coreResources.map((d) => [d.plural, d.singular, d.kind, d.shortNames.join(','), d.categories.join(','), d.namespaced, d.storageResource, d.nameFormat]);
  assert.deepEqual(facts, [
    ['bindings', 'binding', 'Binding', '', '', true, 'bindings', 'dns1123Subdomain'],
    ['configmaps', 'configmap', 'ConfigMap', 'cm', '', true, 'configmaps', 'dns1123Subdomain'],
    ['endpoints', 'endpoints', 'Endpoints', 'ep', '', true, 'services/endpoints', 'dns1123Subdomain'],
    ['events', 'event', 'Event', 'ev', '', true, 'events', 'pathSegment'],
    ['limitranges', 'limitrange', 'LimitRange', 'limits', '', true, 'limitranges', 'dns1123Subdomain'],
    ['namespaces', 'namespace', 'Namespace', 'ns', '', false, 'namespaces', 'dns1123Label'],
    ['nodes', 'node', 'Node', 'no', '', false, 'minions', 'dns1123Subdomain'],
    ['persistentvolumeclaims', 'persistentvolumeclaim', 'PersistentVolumeClaim', 'pvc', '', true, 'persistentvolumeclaims', 'dns1123Subdomain'],
    ['persistentvolumes', 'persistentvolume', 'PersistentVolume', 'pv', '', false, 'persistentvolumes', 'dns1123Subdomain'],
    ['pods', 'pod', 'Pod', 'po', 'all', true, 'pods', 'dns1123Subdomain'],
    ['podtemplates', 'podtemplate', 'PodTemplate', '', '', true, 'podtemplates', 'dns1123Subdomain'],
    ['replicationcontrollers', 'replicationcontroller', 'ReplicationController', 'rc', 'all', true, 'controllers', 'dns1123Subdomain'],
    ['resourcequotas', 'resourcequota', 'ResourceQuota', 'quota', '', true, 'resourcequotas', 'dns1123Subdomain'],
    ['secrets', 'secret', 'Secret', '', '', true, 'secrets', 'dns1123Subdomain'],
    ['serviceaccounts', 'serviceaccount', 'ServiceAccount', 'sa', '', true, 'serviceaccounts', 'dns1123Subdomain'],
    ['services', 'service', 'Service', 'svc', 'all', true, 'services/specs', 'dns1035Label'],
  ]);
});

test('subresources per resource', () => {
  const subs = Object.fromEntries(coreResources.map((d) => [d.plural, Object.keys(d.subresources).sort().join(',')]));
  assert.deepEqual(subs, {
    bindings: '',
    configmaps: '',
    endpoints: '',
    events: '',
    limitranges: '',
    namespaces: 'finalize,status',
    nodes: 'proxy,status',
    persistentvolumeclaims: 'status',
    persistentvolumes: 'status',
    pods: 'attach,binding,ephemeralcontainers,eviction,exec,log,portforward,proxy,status',
    podtemplates: '',
    replicationcontrollers: 'scale,status',
    resourcequotas: 'status',
    secrets: '',
    serviceaccounts: 'token',
    services: 'proxy,status',
  });
});

test('every descriptor is core/v1, has a client-node model and a valid registry', () => {
  const registry = new Registry(coreResources);
  for (const d of coreResources) {
    assert.equal(d.group, '');
    assert.equal(d.version, 'v1');
    assert.equal(d.listKind, `${d.kind}List`);
    assert.ok(existsSync(new URL(`../../../node_modules/@kubernetes/client-node/dist/gen/models/${d.model}.js`, import.meta.url)), d.model);
    assert.equal(registry.get('', 'v1', d.plural), d);
    assert.equal(registry.forKind('v1', d.kind), d);
    assert.equal(d.printerColumns.length > 0, d.plural !== 'limitranges' && d.plural !== 'bindings', d.plural);
    // bindings: create only (the legacy binding endpoint).
    const expected = d.plural === 'namespaces' ? 7 : d.plural === 'bindings' ? 1 : 8;
    assert.equal(d.verbs.length, expected, d.plural);
  }
});
