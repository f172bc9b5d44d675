// storage.k8s.io/v1 CSIDriver (pkg/apis/storage/v1 defaults, pkg/apis/storage/validation,
// pkg/registry/storage/csidriver): the spec's booleans and modes are defaulted, attachRequired and
// volumeLifecycleModes cannot change, and any spec change bumps metadata.generation.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { goQuote } from '../group-helpers/go-format.ts';
import { asArr, asObj, asStr, child, isObj, setDefault } from '../group-helpers/object.ts';
import { immutableField } from '../group-helpers/validation.ts';

const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MIN_TOKEN_SECONDS = 10 * 60;
const MAX_TOKEN_SECONDS = 2 ** 32;

/** SetDefaults_CSIDriver (SELinuxMountReadWriteOncePod is on, as in 1.30). */
function defaultCSIDriver(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'attachRequired', true);
  setDefault(spec, 'podInfoOnMount', false);
  setDefault(spec, 'storageCapacity', false);
  setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
  if (asArr(spec.volumeLifecycleModes).length === 0) spec.volumeLifecycleModes = ['Persistent'];
  setDefault(spec, 'requiresRepublish', false);
  setDefault(spec, 'seLinuxMount', false);
}

/** PrepareForCreate/Update: nodeAllocatableUpdatePeriodSeconds belongs to a feature gate that is off. */
function dropDisabledFields(obj: KubeObject): void {
  if (isObj(obj.spec)) delete obj.spec.nodeAllocatableUpdatePeriodSeconds;
}

function validateTokenRequests(requests: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const audiences = new Set<string>();
  asArr(requests).forEach((r, i) => {
    const req = asObj(r);
    const p = `${path}[${i}]`;
    const audience = asStr(req.audience);
    if (audiences.has(audience)) {
      errs.push(fieldErrors.duplicate(`${p}.audience`, audience));
      return;
    }
    audiences.add(audience);
    const seconds = req.expirationSeconds;
    if (typeof seconds !== 'number') return;
    if (seconds < MIN_TOKEN_SECONDS) errs.push(fieldErrors.invalid(`${p}.expirationSeconds`, seconds, 'may not specify a duration less than 10 minutes'));
    if (seconds > MAX_TOKEN_SECONDS) errs.push(fieldErrors.invalid(`${p}.expirationSeconds`, seconds, 'may not specify a duration larger than 2^32 seconds'));
  });
  return errs;
}

/** validateCSIDriverSpec; the attachRequired path is upstream's (`attachedRequired`). */
function validateCSIDriverSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  const required = (field: string, path = field) => {
    if (spec[field] === undefined || spec[field] === null) errs.push(fieldErrors.required(`spec.${path}`));
  };
  required('attachRequired', 'attachedRequired');
  required('podInfoOnMount');
  required('storageCapacity');
  const policy = spec.fsGroupPolicy;
  if (policy !== undefined && policy !== null && !FS_GROUP_POLICIES.includes(String(policy))) errs.push(fieldErrors.notSupported('spec.fsGroupPolicy', policy, FS_GROUP_POLICIES));
  errs.push(...validateTokenRequests(spec.tokenRequests, 'spec.tokenRequests'));
  for (const mode of asArr(spec.volumeLifecycleModes)) {
    if (!LIFECYCLE_MODES.includes(String(mode))) errs.push(fieldErrors.notSupported('spec.volumeLifecycleModes', mode, LIFECYCLE_MODES));
  }
  required('seLinuxMount');
  return errs;
}

/** []storage.VolumeLifecycleMode as Go's `%#v` prints it. */
function goModes(v: unknown): string {
  if (!Array.isArray(v)) return '[]storage.VolumeLifecycleMode(nil)';
  return `[]storage.VolumeLifecycleMode{${v.map((m) => goQuote(String(m))).join(', ')}}`;
}

function validateCSIDriverUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const oldSpec = asObj(old.spec);
  return [
    ...validateCSIDriverSpec(obj),
    ...immutableField(spec.attachRequired, oldSpec.attachRequired, 'spec.attachedRequired'),
    ...immutableField(spec.volumeLifecycleModes, oldSpec.volumeLifecycleModes, 'spec.volumeLifecycleModes', goModes),
  ];
}

export const csiDriverStrategy: Strategy = {
  // Generation starts at 1 and grows with every spec change (the spec is all a CSIDriver has).
  tracksGeneration: true,
  defaults: defaultCSIDriver,
  validate: validateCSIDriverSpec,
  validateUpdate: validateCSIDriverUpdate,
  prepareForCreate: dropDisabledFields,
  prepareForUpdate: dropDisabledFields,
};

const flag = (field: string, unset: boolean) => (obj: KubeObject) => {
  const v = asObj(obj.spec)[field];
  return typeof v === 'boolean' ? v : unset;
};

export const csidrivers: ResourceDescriptor = resource({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIDriver',
  plural: 'csidrivers',
  namespaced: false,
  model: 'V1CSIDriver',
  printerColumns: [
    {
      name: 'AttachRequired',
      type: 'boolean',
      description:
        'attachRequired indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting. The CSI external-attacher coordinates with CSI volume driver and updates the volumeattachment status when the attach operation is complete. If the value is specified to false, the attach operation will be skipped. Otherwise the attach operation will be called.\n\nThis field is immutable.',
      priority: 0,
      cell: flag('attachRequired', true),
    },
    {
      name: 'PodInfoOnMount',
      type: 'boolean',
      description:
        'podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations, if set to true. If set to false, pod information will not be passed on mount. Default is false.\n\nThe CSI driver specifies podInfoOnMount as part of driver deployment. If true, Kubelet will pass pod information as VolumeContext in the CSI NodePublishVolume() calls. The CSI driver is responsible for parsing and validating the information passed in as VolumeContext.\n\nThe following VolumeContext will be passed if podInfoOnMount is set to true. This list might grow, but the prefix will be used. "csi.storage.k8s.io/pod.name": pod.Name "csi.storage.k8s.io/pod.namespace": pod.Namespace "csi.storage.k8s.io/pod.uid": string(pod.UID) "csi.storage.k8s.io/ephemeral": "true" if the volume is an ephemeral inline volume\n                                defined by a CSIVolumeSource, otherwise "false"\n\n"csi.storage.k8s.io/ephemeral" is a new feature in Kubernetes 1.16. It is only required for drivers which support both the "Persistent" and "Ephemeral" VolumeLifecycleMode. Other drivers can leave pod info disabled and/or ignore this field. As Kubernetes 1.15 doesn\'t support this field, drivers can only support one mode when deployed on such a cluster and the deployment determines which mode that is, for example via a command line parameter of the driver.\n\nThis field was immutable in Kubernetes < 1.29 and now is mutable.',
      priority: 0,
      cell: flag('podInfoOnMount', false),
    },
    {
      name: 'StorageCapacity',
      type: 'boolean',
      description:
        'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report by creating CSIStorageCapacity objects with capacity information, if set to true.\n\nThe check can be enabled immediately when deploying a driver. In that case, provisioning new volumes with late binding will pause until the driver deployment has published some suitable CSIStorageCapacity object.\n\nAlternatively, the driver can be deployed with the field unset or false and it can be flipped later when storage capacity information has been published.\n\nThis field was immutable in Kubernetes <= 1.22 and now is mutable.',
      priority: 0,
      cell: flag('storageCapacity', false),
    },
    {
      name: 'TokenRequests',
      type: 'string',
      description:
        'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for to do necessary authentication. Kubelet will pass the tokens in VolumeContext in the CSI NodePublishVolume calls. The CSI driver should parse and validate the following VolumeContext: "csi.storage.k8s.io/serviceAccount.tokens": {\n  "<audience>": {\n    "token": <token>,\n    "expirationTimestamp": <expiration timestamp in RFC3339>,\n  },\n  ...\n}\n\nNote: Audience in each TokenRequest should be different and at most one token is empty string. To receive a new token after expiry, RequiresRepublish can be used to trigger NodePublishVolume periodically.',
      priority: 0,
      cell: (obj) => {
        const requests = asObj(obj.spec).tokenRequests;
        return Array.isArray(requests) ? requests.map((r) => asStr(asObj(r).audience)).join(',') : '<unset>';
      },
    },
    {
      name: 'RequiresRepublish',
      type: 'boolean',
      description:
        'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume. This field defaults to false.\n\nNote: After a successful initial NodePublishVolume call, subsequent calls to NodePublishVolume should only update the contents of the volume. New mount points will not be seen by a running container.',
      priority: 0,
      cell: flag('requiresRepublish', false),
    },
    {
      name: 'Modes',
      type: 'string',
      description:
        'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. The default if the list is empty is "Persistent", which is the usage defined by the CSI specification and implemented in Kubernetes via the usual PV/PVC mechanism.\n\nThe other mode is "Ephemeral". In this mode, volumes are defined inline inside the pod spec with CSIVolumeSource and their lifecycle is tied to the lifecycle of that pod. A driver has to be aware of this because it is only going to get a NodePublishVolume call for such a volume.\n\nFor more information about implementing this mode, see https://kubernetes-csi.github.io/docs/ephemeral-local-volumes.html A driver can support one or more of these modes and more modes may be added in the future.\n\nThis field is beta. This field is immutable.',
      priority: 0,
      cell: (obj) => asArr(asObj(obj.spec).volumeLifecycleModes).map(String).join(',') || '<none>',
    },
    ageColumn(),
  ],
  strategy: csiDriverStrategy,
  storageResource: 'csidrivers',
});
