// One descriptor per served resource (per group/version). Everything the API server does
// differently per resource is here, so adding a resource is adding a descriptor.
import type { FieldError } from '../errors.ts';

/** A Kubernetes object as JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
};

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** A `kubectl get` column: name and type as in upstream's TableColumnDefinition. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** `name` marks where the NAME column goes when a kind's table does not start with it (events). */
  format?: string;
  description: string;
  /** 0: shown by default; 1: only with `-o wide`. */
  priority: 0 | 1;
  /** The cell for one object; `now` is passed so ages are testable. */
  cell: (obj: KubeObject, now: Date) => string | number | boolean | null;
}

/** The autoscaling/v1 Scale subresource's mapping onto the object. */
export interface ScaleSubresource {
  /** Dotted paths, e.g. `spec.replicas`, `status.replicas`, `status.selector`. */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Where the label selector (as a string) is read from for Scale.status.selector; may be a function of the object. */
  labelSelector: (obj: KubeObject) => string;
}

/** Mutable context handed to strategy hooks. */
export interface StrategyContext {
  now: Date;
  /** The user, for fields like createdBy; 'admin' until authorization exists. */
  user: string;
}

/**
 * Create/update rules, as upstream's rest strategies: defaulting, validation, what a write
 * of the main resource or its status subresource may change.
 */
export interface Strategy {
  /** Fill upstream defaults in place (applied on create and update, after decoding). */
  defaults(obj: KubeObject): void;
  /** Validation of a new object. Names and metadata are validated by the server already. */
  validate(obj: KubeObject): FieldError[];
  /** Validation of an update: `validate(obj)` plus immutable fields against `old`. */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Before create: e.g. clear status, set status.phase = Pending. */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** Before update of the main resource: e.g. keep old status. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Before update of the status subresource: keep everything of `old` but status. */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Validation of a status subresource update (upstream's status strategy ValidateUpdate); absent: none beyond metadata. */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Before update of the finalize subresource (namespaces): keep everything of `old` but spec.finalizers. */
  prepareForFinalizeUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Validation of a finalize subresource update. */
  validateFinalizeUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Whether metadata.generation is tracked (bumped when anything but metadata/status changes). */
  tracksGeneration: boolean;
  /**
   * The grace period of a delete given the one requested (undefined: none requested), as
   * upstream's CheckGracefulDelete (pods: spec.terminationGracePeriodSeconds by default, 0 when
   * unscheduled or finished whatever was asked); undefined: immediate. Absent: the requested one.
   */
  defaultGracePeriodSeconds?(obj: KubeObject, requested?: number): number | undefined;
}

export interface ResourceDescriptor {
  group: string;
  version: string;
  kind: string;
  /** `${kind}List` unless upstream says otherwise. */
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** e.g. `all` for the resources `kubectl get all` shows. */
  categories: string[];
  namespaced: boolean;
  /** How metadata.name is validated, as upstream per kind (most: DNS-1123 subdomain; Services: DNS-1035 label). */
  nameFormat: 'dns1123Subdomain' | 'dns1123Label' | 'dns1035Label' | 'pathSegment';
  verbs: Verb[];
  /** Subresources this version serves: `status`, `scale`, `binding`, `eviction`, ... */
  subresources: {
    status?: true;
    scale?: ScaleSubresource;
    /** Other subresources by name, handled by the server with their own code (binding, eviction, log, exec...). */
    [name: string]: true | ScaleSubresource | undefined;
  };
  /** The @kubernetes/client-node model name of the kind, e.g. `V1Deployment` (schemas for OpenAPI). */
  model: string;
  /** Columns `kubectl get` shows on a real cluster for this kind (after NAME, which is implicit). */
  printerColumns: PrinterColumn[];
  /**
   * Field selectors beyond `metadata.name` and `metadata.namespace` (which every resource has):
   * field path -> value of the object for that field (as upstream's GetAttrs).
   */
  fieldSelectors: Record<string, (obj: KubeObject) => string>;
  strategy: Strategy;
  /**
   * Where objects live in the store: `/registry/<storageResource>/[<namespace>/]<name>`.
   * Versions of one resource (e.g. autoscaling/v1 and v2 HPAs) share it.
   */
  storageResource: string;
  /**
   * For a resource served in several versions: convert between this version and the stored
   * one. Absent: this version is the stored version.
   */
  conversion?: {
    storageVersion: string;
    toStorage(obj: KubeObject): KubeObject;
    fromStorage(obj: KubeObject): KubeObject;
  };
  /**
   * A resource that is computed, never stored (upstream's review APIs, e.g. SelfSubjectReview):
   * create answers what this returns for the decoded object and the requesting user, and
   * nothing is written.
   */
  review?: (obj: KubeObject, user: ReviewUser, now: Date) => KubeObject;
}

/** Who made a request, as the review APIs report it (upstream's user.Info). */
export interface ReviewUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(d: { group: string; version: string }): string {
  return d.group ? `${d.group}/${d.version}` : d.version;
}
