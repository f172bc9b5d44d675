// Strategic-merge-patch metadata of the built-in types: upstream's Go struct tags
// `patchStrategy:"merge" patchMergeKey:"name"` (and `+listType`/`+listMapKeys` markers where
// they matter for apply). One table, used both for the OpenAPI documents
// (x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key / x-kubernetes-list-*) and by
// the strategic merge patch engine. Keys are @kubernetes/client-node model names and JSON
// field names. A list field absent here is atomic for strategic merge patch: replaced whole.

export interface PatchMeta {
  /** `merge`, `retainKeys` or both as upstream writes them (`merge,retainKeys`). */
  strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  /** Merge key of a list of objects; absent for a merged list of scalars. */
  mergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

const merge = (mergeKey?: string, listMapKeys?: string[]): PatchMeta =>
  mergeKey
    ? { strategy: 'merge', mergeKey, listType: 'map', listMapKeys: listMapKeys ?? [mergeKey] }
    : { strategy: 'merge' };
const mergeRetain = (mergeKey: string, listMapKeys?: string[]): PatchMeta => ({
  strategy: 'merge,retainKeys',
  mergeKey,
  listType: 'map',
  listMapKeys: listMapKeys ?? [mergeKey],
});
/** Conditions lists: merge by type. */
const conditions = merge('type');
/** Merge by key, without claiming a listType (upstream declares none). */
const mergeOnly = (mergeKey: string): PatchMeta => ({ strategy: 'merge', mergeKey });

const containerLists: Record<string, PatchMeta> = {
  ports: merge('containerPort', ['containerPort', 'protocol']),
  env: mergeOnly('name'),
  volumeMounts: mergeOnly('mountPath'),
  volumeDevices: mergeOnly('devicePath'),
  resizePolicy: { listType: 'atomic' },
};

export const patchMetaTable: Record<string, Record<string, PatchMeta>> = {
  // meta/v1
  V1ObjectMeta: {
    finalizers: { strategy: 'merge', listType: 'set' },
    ownerReferences: merge('uid'),
  },

  // core/v1
  V1PodSpec: {
    volumes: mergeRetain('name'),
    initContainers: merge('name'),
    containers: merge('name'),
    ephemeralContainers: merge('name'),
    imagePullSecrets: mergeOnly('name'),
    hostAliases: merge('ip'),
    topologySpreadConstraints: merge('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    resourceClaims: mergeRetain('name'),
    schedulingGates: merge('name'),
  },
  V1Container: containerLists,
  V1EphemeralContainer: containerLists,
  V1PodStatus: {
    conditions,
    podIPs: merge('ip'),
    hostIPs: merge('ip'),
    resourceClaimStatuses: mergeRetain('name'),
  },
  V1NodeSpec: { podCIDRs: { strategy: 'merge', listType: 'set' } },
  V1NodeStatus: { conditions, addresses: mergeOnly('address') },
  V1PersistentVolumeClaimStatus: { conditions },
  V1NamespaceStatus: { conditions },
  V1ReplicationControllerStatus: { conditions },
  V1ComponentStatus: { conditions },
  V1ServiceSpec: { ports: merge('port', ['port', 'protocol']) },
  V1ServiceStatus: { conditions },
  V1ServiceAccount: { secrets: mergeOnly('name') },

  // apps/v1
  V1DeploymentSpec: { strategy: { strategy: 'retainKeys' } },
  V1DeploymentStatus: { conditions },
  V1DaemonSetStatus: { conditions },
  V1StatefulSetStatus: { conditions },
  V1ReplicaSetStatus: { conditions },

  // batch/v1
  V1JobStatus: { conditions: { strategy: 'merge', mergeKey: 'type', listType: 'atomic' } },

  // autoscaling
  V2HorizontalPodAutoscalerStatus: { conditions },

  // policy/v1
  V1PodDisruptionBudgetStatus: { conditions },

  // storage.k8s.io/v1
  V1CSINodeSpec: { drivers: mergeOnly('name') },

  // apiregistration/v1
  V1APIServiceStatus: { conditions },
};

/** The patch metadata of field `field` of model `model`, if any. */
export function patchMetaFor(model: string, field: string): PatchMeta | undefined {
  return patchMetaTable[model]?.[field];
}
