// Writing responses: Status errors, objects as JSON or YAML, and the Accept parsing that
// picks between JSON, YAML, Table and PartialObjectMetadata.
import type { Request, Response } from 'express';
import { stringify as yamlStringify } from 'yaml';
import { ApiError, apiErrors, type Status } from '../api/errors.ts';
import { negotiate } from '../api/content-negotiation.ts';
import { encodeProtobufObject, PROTOBUF_MEDIA_TYPE } from '../api/protobuf/codec.ts';
import { logger } from '../lib/logger.ts';

const log = logger.child({ component: 'server' });

export type OutputKind = 'json' | 'yaml' | 'protobuf' | 'table' | 'partial';

export interface Output {
  kind: OutputKind;
  /** meta.k8s.io version asked for Table / PartialObjectMetadata (v1 or v1beta1). */
  metaVersion?: 'v1' | 'v1beta1';
  pretty?: boolean;
}

/**
 * The representation to answer a resource request with (api/content-negotiation's rules).
 * `allowTransform`: Table / PartialObjectMetadata are possible. 406 when nothing offered is served.
 */
export function chooseOutput(accept: string | undefined, allowTransform: boolean, watch = false, protobuf = false): Output {
  const n = negotiate(accept, { endpoint: allowTransform ? 'resource' : 'other', watch, protobuf });
  const pretty = n.pretty || undefined;
  switch (n.target.kind) {
    case 'Table':
      return { kind: 'table', metaVersion: n.target.version, pretty };
    case 'PartialObjectMetadata':
    case 'PartialObjectMetadataList':
      return { kind: 'partial', metaVersion: n.target.version, pretty };
    default:
      return { kind: n.format, pretty };
  }
}

function jsonBody(obj: unknown, req?: Request, pretty = false): string {
  const q = req?.query?.pretty;
  return pretty || q === 'true' || q === '1' ? JSON.stringify(obj, null, 2) + '\n' : JSON.stringify(obj) + '\n';
}

/** Writes an object as the chosen representation (JSON or YAML; tables are built by the caller). */
export function sendObject(req: Request, res: Response, code: number, obj: unknown, output: Output = { kind: 'json' }): void {
  if (res.headersSent) return;
  if (output.kind === 'protobuf') {
    // Kinds without a protobuf message (custom resources, tables) answer JSON, the clients' fallback.
    const wire = encodeProtobufObject(obj);
    if (wire) {
      writeBody(req, res, code, PROTOBUF_MEDIA_TYPE, wire);
      return;
    }
  }
  if (output.kind === 'yaml') {
    writeBody(req, res, code, 'application/yaml', yamlStringify(obj, { lineWidth: 0 }));
    return;
  }
  writeBody(req, res, code, 'application/json', jsonBody(obj, req, output.pretty));
}

/** Writes a body with exactly this Content-Type (express's send would add a charset). */
export function writeBody(req: Request, res: Response, code: number, contentType: string, body: string | Buffer): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.status(code);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(buf.length));
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function sendStatus(req: Request, res: Response, status: Status): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  writeBody(req, res, status.code || 500, 'application/json', jsonBody(status, req));
}

/** Any thrown value as a Status response; non-API errors are logged and become 500. */
export function sendError(req: Request, res: Response, err: unknown): void {
  if (err instanceof ApiError) {
    sendStatus(req, res, err.toStatus());
    return;
  }
  // (req.destroyed alone says nothing: a request whose body was read to the end is destroyed too.)
  if (req.socket?.destroyed || res.writableEnded || (err as { code?: string })?.code === 'ECONNRESET' || (err as Error)?.message === 'aborted') {
    // The client went away (e.g. mid-body); nobody is listening for an answer.
    log.debug({ err, method: req.method, url: req.originalUrl }, 'request aborted');
    if (!res.writableEnded) res.destroy();
    return;
  }
  log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
  sendStatus(req, res, apiErrors.internal(err instanceof Error ? err.message : String(err)).toStatus());
}

export const NOT_FOUND_STATUS: Status = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server could not find the requested resource',
  reason: 'NotFound',
  details: {},
  code: 404,
};

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** An RFC 7234 warning header value as upstream's warning.AddWarning writes it. */
export function warningHeader(text: string): string {
  // Header values are ASCII here: anything else is escaped (JSON-style) rather than refused.
  return `299 - ${JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
}

const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
const TRUNCATE_ITEM_RUNES = 256;

interface WarningState {
  seen: Set<string>;
  ordered: string[];
  written: number;
  truncating: boolean;
}

/**
 * Adds Warning headers as upstream's warning recorder does: each text once, and past 4096
 * characters in all, every warning cut to 256 characters and no more added once over the limit
 * (so that no response carries headers a client refuses).
 */
export function addWarnings(res: Response, warnings: string[]): void {
  const locals = res.locals as { k8tsWarnings?: WarningState };
  const st = (locals.k8tsWarnings ??= { seen: new Set(), ordered: [], written: 0, truncating: false });
  const cut = (t: string) => [...t].slice(0, TRUNCATE_ITEM_RUNES).join('');
  for (const text of warnings) {
    if (st.written >= TRUNCATE_AT_TOTAL_RUNES && st.truncating) return;
    if (st.seen.has(text)) continue;
    st.seen.add(text);
    st.ordered.push(text);
    let t = text;
    if (st.truncating) t = cut(t);
    const len = [...t].length;
    if (st.written + len <= TRUNCATE_AT_TOTAL_RUNES || st.truncating) {
      st.written += len;
      res.append('Warning', warningHeader(t));
      continue;
    }
    st.truncating = true;
    st.written = 0;
    res.removeHeader('Warning');
    for (const w of st.ordered) {
      const c = cut(w);
      res.append('Warning', warningHeader(c));
      st.written += [...c].length;
    }
  }
}
