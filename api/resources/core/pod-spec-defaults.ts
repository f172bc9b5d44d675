// Upstream defaulting of PodSpec and PodTemplateSpec (pkg/apis/core/v1/defaults.go and the
// generated zz_generated.defaults.go), applied in place on decoded JSON.
import { canonicalizeQuantityField, canonicalizeResourceList } from './quantities.ts';
import { child, isObj, objs, type J } from './json.ts';

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const imageRefRe = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);

/** Upstream's parsers.ParseImageName: the tag (`latest` when neither tag nor digest), or undefined if unparseable. */
export function imageTag(image: string): string | undefined {
  const m = imageRefRe.exec(image);
  if (!m) return undefined;
  const [, , tag, digest] = m;
  if (tag) return tag;
  return digest ? '' : 'latest';
}

function defaultHTTPGet(h: unknown): void {
  if (!isObj(h)) return;
  if (!h.path) h.path = '/';
  if (!h.scheme) h.scheme = 'HTTP';
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHTTPGet(p.httpGet);
  if (isObj(p.grpc) && p.grpc.service === undefined) p.grpc.service = '';
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref) && !ref.apiVersion) ref.apiVersion = 'v1';
}

/** SetDefaults_Container plus the generated defaults of its nested types. */
export function defaultContainer(c: J): void {
  if (!c.imagePullPolicy) {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  // ResourceRequirements is a Go value in Container: it always serializes, `resources: {}` at least.
  if (!isObj(c.resources)) c.resources = {};
  for (const port of objs(c.ports)) if (!port.protocol) port.protocol = 'TCP';
  for (const env of objs(c.env)) if (isObj(env.valueFrom)) defaultFieldRef(env.valueFrom.fieldRef);
  if (isObj(c.resources)) {
    canonicalizeResourceList(c.resources.limits, true);
    canonicalizeResourceList(c.resources.requests, true);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) {
    if (isObj(c.lifecycle.postStart)) defaultHTTPGet(c.lifecycle.postStart.httpGet);
    if (isObj(c.lifecycle.preStop)) defaultHTTPGet(c.lifecycle.preStop.httpGet);
  }
}

const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image',
];

function defaultVolume(v: J): void {
  if (!volumeSources.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  if (isObj(v.emptyDir)) canonicalizeQuantityField(v.emptyDir, 'sizeLimit');
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    if (isObj(v[s]) && (v[s].defaultMode === undefined || v[s].defaultMode === null)) v[s].defaultMode = 420;
  }
  if (isObj(v.downwardAPI)) for (const item of objs(v.downwardAPI.items)) defaultFieldRef(item.fieldRef);
  if (isObj(v.projected)) {
    for (const src of objs(v.projected.sources)) {
      if (isObj(src.downwardAPI)) for (const item of objs(src.downwardAPI.items)) defaultFieldRef(item.fieldRef);
      if (isObj(src.serviceAccountToken) && !src.serviceAccountToken.expirationSeconds) src.serviceAccountToken.expirationSeconds = 3600;
    }
  }
  if (isObj(v.iscsi) && !v.iscsi.iscsiInterface) v.iscsi.iscsiInterface = 'default';
  if (isObj(v.rbd)) {
    if (!v.rbd.pool) v.rbd.pool = 'rbd';
    if (!v.rbd.user) v.rbd.user = 'admin';
    if (!v.rbd.keyring) v.rbd.keyring = '/etc/ceph/keyring';
  }
  if (isObj(v.azureDisk)) {
    if (v.azureDisk.cachingMode === undefined) v.azureDisk.cachingMode = 'ReadWrite';
    if (v.azureDisk.fsType === undefined) v.azureDisk.fsType = 'ext4';
    if (v.azureDisk.readOnly === undefined) v.azureDisk.readOnly = false;
    if (v.azureDisk.kind === undefined) v.azureDisk.kind = 'Shared';
  }
  if (isObj(v.scaleIO)) {
    if (!v.scaleIO.storageMode) v.scaleIO.storageMode = 'ThinProvisioned';
    if (!v.scaleIO.fsType) v.scaleIO.fsType = 'xfs';
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
    defaultPersistentVolumeClaimSpec(child(v.ephemeral.volumeClaimTemplate, 'spec'));
  }
}

/** SetDefaults_PersistentVolumeClaimSpec (shared with PVCs and StatefulSet claim templates). */
export function defaultPersistentVolumeClaimSpec(spec: J): void {
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  if (isObj(spec.resources)) {
    canonicalizeResourceList(spec.resources.limits);
    canonicalizeResourceList(spec.resources.requests);
  }
}

/** Defaults of a PodSpec wherever it appears (pods and every pod template). */
export function defaultPodSpec(spec: J): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  for (const v of objs(spec.volumes)) defaultVolume(v);
  for (const c of objs(spec.initContainers)) defaultContainer(c);
  for (const c of objs(spec.containers)) defaultContainer(c);
  for (const c of objs(spec.ephemeralContainers)) defaultContainer(c);
  canonicalizeResourceList(spec.overhead, true);
  if (isObj(spec.resources)) {
    canonicalizeResourceList(spec.resources.limits, true);
    canonicalizeResourceList(spec.resources.requests, true);
  }
}

/** Defaults of an embedded pod template (`spec.template` of workloads, PodTemplate.template). */
export function defaultPodTemplateSpec(template: unknown): void {
  if (!isObj(template)) return;
  // The template's ObjectMeta is a Go value: its zero creationTimestamp serializes as null.
  const meta = child(template, 'metadata');
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  defaultPodSpec(child(template, 'spec'));
}

/**
 * Defaults that upstream applies to Pods only, not to templates (SetDefaults_Pod): requests
 * default to limits, enableServiceLinks true, and host ports follow container ports with hostNetwork.
 */
export function defaultPodOnlyFields(spec: J): void {
  for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
    if (!isObj(c.resources) || !isObj(c.resources.limits)) continue;
    const requests = child(c.resources, 'requests');
    for (const [name, value] of Object.entries(c.resources.limits)) if (!(name in requests)) requests[name] = value;
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
      for (const p of objs(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
}
