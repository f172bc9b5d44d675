// API errors as Kubernetes Status objects: the upstream reason, code and causes, so that
// kubectl and the client libraries print and branch on them exactly as on Kubernetes.

/** '' is upstream's StatusReasonUnknown: kubectl prints just `Error from server: <message>`. */
export type StatusReason =
  | ''
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** One field problem, as upstream's field.Error renders into a Status cause. */
export interface FieldError {
  /** Upstream cause types: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported,
   *  FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong, FieldValueTooMany,
   *  FieldValueTypeInvalid, FieldValueNotFound. */
  type: string;
  /** Dotted path with indices, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  /** The full message, e.g. `Required value` or `Invalid value: "x": must be ...`. */
  message: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason } as Status;
    if (this.details) {
      // StatusDetails.group is omitempty upstream: core resources carry no group at all.
      const { group, ...rest } = this.details;
      s.details = group ? { ...this.details } : rest;
    }
    // Upstream's field order: ... reason, details, code.
    s.code = this.code;
    return s;
  }
}

/** `deployments.apps` for a group resource, `pods` for core. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const apiErrors = {
  notFound: (resource: string, group: string, name: string) =>
    new ApiError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource }),
  alreadyExists: (resource: string, group: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource }),
  conflict: (resource: string, group: string, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group, kind: resource }),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  unsupportedMediaType: (contentType: string) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`),
  tooLarge: () => new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (message: string) => new ApiError(403, 'Forbidden', message),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  /** 422 with one cause per field: kubectl prints `The Kind "name" is invalid:` and each field. */
  invalid: (kind: string, group: string, name: string, errors: FieldError[]) =>
    new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${fieldList(errors)}`, {
      name,
      group,
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    }),
};

/** Upstream's aggregate rendering: one error bare, several in brackets. */
function fieldList(errors: FieldError[]): string {
  const parts = errors.map((e) => `${e.field}: ${e.message}`);
  return parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
}
