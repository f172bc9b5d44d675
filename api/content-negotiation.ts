// Content negotiation as the API server does it (apiserver handlers/negotiation): the
// Accept header's media ranges are tried by quality, and a range is acceptable when its
// type is served (JSON, YAML) and its parameters are: `as`/`g`/`v` ask for a conversion
// (Table and PartialObjectMetadata(List) of meta.k8s.io v1/v1beta1 on resource endpoints,
// APIGroupDiscoveryList of apidiscovery.k8s.io v2/v2beta1 on discovery endpoints),
// `stream=watch` only on watches, `pretty=1` indents. Nothing acceptable: 406.
import { ApiError, apiErrors } from './errors.ts';

export type Format = 'json' | 'yaml' | 'protobuf';

export type Target =
  | { kind: 'Object' }
  | { kind: 'Table'; version: 'v1' | 'v1beta1' }
  | { kind: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' }
  | { kind: 'APIGroupDiscoveryList'; version: 'v2' | 'v2beta1' };

export interface Negotiated {
  format: Format;
  /** What to render: the object itself, or a conversion of it. */
  target: Target;
  /** The response's Content-Type header. */
  contentType: string;
  pretty: boolean;
  /** `stream=watch` was asked for. */
  stream?: 'watch';
}

export interface NegotiateOptions {
  /**
   * `resource` (default): Table / PartialObjectMetadata conversions are allowed;
   * `discovery`: aggregated discovery (/api, /apis) is allowed; `other`: plain only.
   */
  endpoint?: 'resource' | 'discovery' | 'other';
  /** A watch request: only JSON can stream, and `stream=watch` is allowed. */
  watch?: boolean;
  /**
   * Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) may be answered: objects of
   * built-in kinds, outside watches. Absent: protobuf is not offered and the next range counts.
   */
  protobuf?: boolean;
}

export interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/** Splits a header on commas outside quoted strings. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') quoted = !quoted;
    if (c === '\\' && quoted && i + 1 < s.length) {
      cur += c + s[++i];
      continue;
    }
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** Parses one media type with its parameters (`application/json;as=Table;v=v1`). */
export function parseMediaType(s: string): { type: string; subtype: string; params: Record<string, string> } | undefined {
  const parts = splitOutsideQuotes(s, ';');
  const full = parts[0]!.trim().toLowerCase();
  const slash = full.indexOf('/');
  if (slash <= 0 || slash === full.length - 1) {
    if (full === '*') return { type: '*', subtype: '*', params: {} };
    return undefined;
  }
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const k = p.slice(0, eq).trim().toLowerCase();
    if (!k) continue;
    params[k] = unquote(p.slice(eq + 1).trim());
  }
  return { type: full.slice(0, slash), subtype: full.slice(slash + 1), params };
}

/** Parses an Accept header into media ranges, best first (quality, then specificity). */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const clause of splitOutsideQuotes(header, ',')) {
    if (!clause.trim()) continue;
    const mt = parseMediaType(clause);
    if (!mt) continue;
    let q = 1;
    if ('q' in mt.params) {
      const n = Number(mt.params.q);
      q = Number.isFinite(n) ? n : 0;
      delete mt.params.q;
    }
    ranges.push({ ...mt, q });
  }
  const rank = (r: MediaRange) => (r.type === '*' ? 2 : r.subtype === '*' ? 1 : 0);
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || rank(a.r) - rank(b.r) || a.i - b.i)
    .map((x) => x.r);
}

const served: Record<Format, string> = { json: 'application/json', yaml: 'application/yaml', protobuf: 'application/vnd.kubernetes.protobuf' };

function formatFor(r: MediaRange, watch: boolean, protobuf = false): Format | undefined {
  const full = `${r.type}/${r.subtype}`;
  if (full === 'application/vnd.kubernetes.protobuf' && protobuf && !watch) return 'protobuf';
  if (full === '*/*' || full === 'application/*') return 'json';
  if (full === 'application/json') return 'json';
  if (full === 'application/yaml' && !watch) return 'yaml';
  return undefined;
}

function acceptRange(r: MediaRange, opts: NegotiateOptions): Negotiated | undefined {
  if (r.q <= 0) return undefined;
  const watch = opts.watch ?? false;
  const format = formatFor(r, watch, opts.protobuf);
  if (!format) return undefined;
  const { as, g, v, stream, pretty } = r.params;
  if (stream !== undefined && stream !== '' && (stream !== 'watch' || !watch)) return undefined;
  let target: Target = { kind: 'Object' };
  if (as !== undefined || g !== undefined || v !== undefined) {
    if (format === 'protobuf') return undefined;
    const endpoint = opts.endpoint ?? 'resource';
    if (endpoint === 'resource' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) {
      if (as === 'Table') target = { kind: 'Table', version: v };
      else if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') target = { kind: as, version: v };
      else return undefined;
    } else if (endpoint === 'discovery' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1') && as === 'APIGroupDiscoveryList') {
      if (format !== 'json') return undefined;
      target = { kind: 'APIGroupDiscoveryList', version: v };
    } else {
      return undefined;
    }
  }
  const contentType = target.kind === 'APIGroupDiscoveryList' ? `application/json;g=apidiscovery.k8s.io;v=${target.version};as=APIGroupDiscoveryList` : served[format];
  const out: Negotiated = { format, target, contentType, pretty: pretty === '1' };
  if (stream === 'watch') out.stream = 'watch';
  return out;
}

/** What to answer a request with, from its Accept header; throws the 406 ApiError upstream returns. */
export function negotiate(accept: string | undefined | null, opts: NegotiateOptions = {}): Negotiated {
  if (accept === undefined || accept === null || accept.trim() === '') {
    return { format: 'json', target: { kind: 'Object' }, contentType: 'application/json', pretty: false };
  }
  for (const r of parseAccept(accept)) {
    const n = acceptRange(r, opts);
    if (n) return n;
  }
  throw notAcceptable(opts);
}

export function notAcceptable(opts: NegotiateOptions = {}): ApiError {
  const types = opts.watch ? ['application/json'] : ['application/json', 'application/yaml'];
  return apiErrors.notAcceptable(`only the following media types are accepted: ${types.join(', ')}`);
}

export type RequestFormat = 'json' | 'yaml' | 'protobuf' | 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch';

/**
 * The format of a request body from its Content-Type, for `patch` or other writes;
 * throws 415 UnsupportedMediaType as upstream does.
 */
export function requestFormat(contentType: string | undefined | null, verb: 'patch' | 'write'): RequestFormat {
  const mt = contentType ? parseMediaType(contentType) : undefined;
  const full = mt ? `${mt.type}/${mt.subtype}` : '';
  if (verb === 'patch') {
    switch (full) {
      case 'application/json-patch+json':
        return 'json-patch';
      case 'application/merge-patch+json':
        return 'merge-patch';
      case 'application/strategic-merge-patch+json':
        return 'strategic-merge-patch';
      case 'application/apply-patch+yaml':
      case 'application/apply-patch+cbor':
        return 'apply-patch';
    }
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
    );
  }
  if (full === '' || full === 'application/json') return 'json';
  if (full === 'application/yaml') return 'yaml';
  // Built-in kinds also take Kubernetes protobuf (kubectl 1.32+ writes typed requests that way).
  if (full === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  throw apiErrors.unsupportedMediaType(contentType ?? '');
}
