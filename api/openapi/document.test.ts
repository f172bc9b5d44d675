import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApiV2, buildOpenApiV3Document, buildOpenApiV3Index, openApiDocumentHash, parseOpenApiV3Path } from './document.ts';
import { testRegistry } from './testing-registry.ts';

type S = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const registry = testRegistry();
const apps = buildOpenApiV3Document(registry, 'apps', 'v1') as S;
const core = buildOpenApiV3Document(registry, '', 'v1') as S;

/** Follows a v3 property to the schema it refers to (through allOf). */
function deref(doc: S, prop: S): S {
  const ref: string | undefined = prop.$ref ?? prop.allOf?.[0]?.$ref;
  assert.ok(ref, `no $ref in ${JSON.stringify(prop)}`);
  const name = ref.replace('#/components/schemas/', '');
  const s = doc.components.schemas[name];
  assert.ok(s, `missing component ${name}`);
  return s;
}

test('apps/v1 document: Deployment schema with GVK, descriptions and refs', () => {
  assert.equal(apps.openapi, '3.0.0');
  const dep = apps.components.schemas['io.k8s.api.apps.v1.Deployment'];
  assert.ok(dep, 'Deployment schema');
  assert.deepEqual(dep['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.equal(dep.type, 'object');
  assert.match(dep.description, /^Deployment enables declarative updates for Pods and ReplicaSets/);
  assert.deepEqual(dep.properties.apiVersion.type, 'string');
  assert.match(dep.properties.apiVersion.description, /^APIVersion defines the versioned schema/);
  assert.equal(dep.properties.metadata.allOf[0].$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.match(dep.properties.metadata.description, /^Standard object's metadata/);
  assert.equal(dep.properties.spec.allOf[0].$ref, '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec');

  const spec = deref(apps, dep.properties.spec);
  assert.deepEqual(spec.required, ['selector', 'template']);
  assert.deepEqual(spec.properties.replicas, {
    description: spec.properties.replicas.description,
    type: 'integer',
    format: 'int32',
  });
  assert.equal(spec.properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  const template = deref(apps, spec.properties.template);
  assert.ok(apps.components.schemas['io.k8s.api.core.v1.PodTemplateSpec'] === template);
  const podSpec = deref(apps, template.properties.spec);
  const containers = podSpec.properties.containers;
  assert.equal(containers.type, 'array');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers['x-kubernetes-list-type'], 'map');
  assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  assert.equal(podSpec.properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(podSpec.properties.tolerations['x-kubernetes-patch-strategy'], undefined, 'tolerations are atomic');
  const container = deref(apps, containers.items);
  assert.equal(container.properties.ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.equal(container.properties.env['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(container.properties.volumeMounts['x-kubernetes-patch-merge-key'], 'mountPath');
  assert.deepEqual(container.required, ['name']);
  // Quantity and IntOrString as upstream renders them in v3
  const resources = deref(apps, container.properties.resources);
  assert.equal(resources.properties.limits.additionalProperties.allOf[0].$ref, '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity');
  assert.deepEqual(apps.components.schemas['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, [{ type: 'string' }, { type: 'number' }]);
  assert.equal(apps.components.schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
  assert.equal(apps.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
  const meta = apps.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'];
  assert.equal(meta.properties.finalizers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(meta.properties.labels.additionalProperties.type, 'string');
  assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale'], 'Scale for the scale subresource');
  // every $ref resolves
  const json = JSON.stringify(apps);
  for (const m of json.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) assert.ok(apps.components.schemas[m[1]!], `dangling ref ${m[1]}`);
});

test('apps/v1 document: PATCH declares fieldValidation and the patch content types', () => {
  const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.ok(item, 'item path');
  assert.deepEqual(
    item.parameters.map((p: S) => p.name),
    ['name', 'namespace', 'pretty'],
  );
  const patch = item.patch;
  assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.equal(patch['x-kubernetes-action'], 'patch');
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  const fv = patch.parameters.find((p: S) => p.name === 'fieldValidation');
  assert.deepEqual({ in: fv.in, type: fv.schema.type }, { in: 'query', type: 'string' });
  assert.deepEqual(
    patch.parameters.map((p: S) => p.name),
    ['dryRun', 'fieldManager', 'fieldValidation', 'force'],
  );
  assert.deepEqual(Object.keys(patch.requestBody.content), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
  ]);
  assert.equal(patch.requestBody.content['application/strategic-merge-patch+json'].schema.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
  assert.equal(patch.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
  assert.deepEqual(patch.tags, ['apps_v1']);

  assert.equal(item.get.operationId, 'readAppsV1NamespacedDeployment');
  assert.equal(item.put.operationId, 'replaceAppsV1NamespacedDeployment');
  assert.equal(item.delete.operationId, 'deleteAppsV1NamespacedDeployment');
  const coll = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.equal(coll.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.equal(coll.post.operationId, 'createAppsV1NamespacedDeployment');
  assert.equal(coll.delete.operationId, 'deleteAppsV1CollectionNamespacedDeployment');
  assert.ok(coll.get.responses['200'].content['application/json;stream=watch']);
  assert.equal(apps.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  assert.equal(apps.paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}'].get.operationId, 'watchAppsV1NamespacedDeployment');
  assert.equal(apps.paths['/apis/apps/v1/watch/deployments'].get['x-kubernetes-action'], 'watchlist');
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.equal(scale.patch.operationId, 'patchAppsV1NamespacedDeploymentScale');
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.equal(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'].put.operationId, 'replaceAppsV1NamespacedDeploymentStatus');
  assert.equal(apps.paths['/apis/apps/v1/'].get.operationId, 'getAppsV1APIResources');
});

test('core/v1 document: cluster-scoped kinds, subresources and group names', () => {
  assert.equal(core.paths['/api/v1/nodes/{name}'].patch.operationId, 'patchCoreV1Node');
  assert.equal(core.paths['/api/v1/nodes'].delete.operationId, 'deleteCoreV1CollectionNode');
  assert.equal(core.paths['/api/v1/watch/nodes'].get.operationId, 'watchCoreV1NodeList');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/binding'].post.operationId, 'createCoreV1NamespacedPodBinding');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post.operationId, 'createCoreV1NamespacedPodEviction');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.operationId, 'readCoreV1NamespacedPodLog');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'].post.operationId, 'connectPostCoreV1NamespacedPodExec');
  assert.equal(core.paths['/api/v1/nodes/{name}/proxy/{path}'].get.operationId, 'connectGetCoreV1NodeProxyWithPath');
  assert.ok(core.components.schemas['io.k8s.api.policy.v1.Eviction']);
  assert.deepEqual(core.components.schemas['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'ConfigMap', version: 'v1' }]);
  assert.deepEqual(core.paths['/api/v1/namespaces/{namespace}/configmaps'].get.tags, ['core_v1']);
  const rbac = buildOpenApiV3Document(registry, 'rbac.authorization.k8s.io', 'v1') as S;
  assert.equal(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].patch.operationId, 'patchRbacAuthorizationV1ClusterRole');
  assert.deepEqual(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].patch.tags, ['rbacAuthorization_v1']);
  assert.ok(rbac.components.schemas['io.k8s.api.rbac.v1.PolicyRule']);
  assert.equal(buildOpenApiV3Document(registry, 'batch', 'v1'), undefined);
});

test('/openapi/v3 index points at every group version with a content hash', () => {
  const index = buildOpenApiV3Index(registry);
  assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/apps/v1', 'apis/rbac.authorization.k8s.io/v1']);
  assert.equal(index.paths['apis/apps/v1']!.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${openApiDocumentHash(apps)}`);
  assert.match(index.paths['api/v1']!.serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  assert.deepEqual(parseOpenApiV3Path('apis/apps/v1'), { group: 'apps', version: 'v1' });
  assert.deepEqual(parseOpenApiV3Path('/api/v1'), { group: '', version: 'v1' });
  assert.equal(parseOpenApiV3Path('apis/apps'), undefined);
});

test('/openapi/v2 swagger document', () => {
  const v2 = buildOpenApiV2(registry) as S;
  assert.equal(v2.swagger, '2.0');
  const dep = v2.definitions['io.k8s.api.apps.v1.Deployment'];
  assert.equal(dep.properties.metadata.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.deepEqual(dep['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.equal(v2.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
  assert.equal(v2.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key'], 'name');
  const patch = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.deepEqual(patch.consumes, ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
  assert.deepEqual(patch.parameters[0], { in: 'body', name: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
  assert.ok(patch.parameters.some((p: S) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
  assert.ok(v2.paths['/api/v1/nodes/{name}']);
  const json = JSON.stringify(v2);
  for (const m of json.matchAll(/"#\/definitions\/([^"]+)"/g)) assert.ok(v2.definitions[m[1]!], `dangling ref ${m[1]}`);
});
