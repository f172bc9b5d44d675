// /openapi/v2, /openapi/v3 and /openapi/v3/<api/v1 | apis/<group>/<version>>, from the
// documents api/openapi builds. v3 documents are addressed by content hash and, when the
// hash matches, cacheable forever (as upstream).
import type { Request, Response } from 'express';
import type { Registry } from '../api/registry/registry.ts';
import { buildOpenApiV2, buildOpenApiV3Document, buildOpenApiV3Index, openApiDocumentHash, parseOpenApiV3Path } from '../api/openapi/document.ts';
import { apiErrors } from '../api/errors.ts';
import { NOT_FOUND_STATUS, sendStatus, writeBody } from './respond.ts';
import { parseAccept } from '../api/content-negotiation.ts';
import { versionInfo } from './version.ts';
import { encodeOpenApiV2Protobuf, OPENAPI_V2_PROTOBUF_ACCEPT, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from '../api/openapi/protobuf-v2.ts';

const bodies = new WeakMap<object, { json: string; etag: string }>();

function serialized(doc: object): { json: string; etag: string } {
  let b = bodies.get(doc);
  if (!b) {
    const json = JSON.stringify(doc);
    b = { json, etag: `"${openApiDocumentHash(doc)}"` };
    bodies.set(doc, b);
  }
  return b;
}

const V2_PROTO = OPENAPI_V2_PROTOBUF_ACCEPT;
const V2_PROTO_TYPES = new Set([V2_PROTO, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']);

/** The representation asked for first: JSON or (v2 only) gnostic protobuf. */
function representation(req: Request, protobufOk: boolean): 'json' | 'protobuf' | undefined {
  const accept = req.headers.accept;
  if (!accept || !accept.trim()) return 'json';
  for (const r of parseAccept(accept)) {
    if (r.q <= 0) continue;
    const full = `${r.type}/${r.subtype}`;
    if (full === 'application/json' || full === '*/*' || full === 'application/*') return 'json';
    if (protobufOk && V2_PROTO_TYPES.has(full)) return 'protobuf';
  }
  return undefined;
}

const protoBodies = new WeakMap<object, Buffer>();

export function openApiHandler(registry: Registry) {
  return (req: Request, res: Response, path: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
    const isV2 = path === '/openapi/v2';
    const as = representation(req, isV2);
    if (!as) throw apiErrors.notAcceptable(`only the following media types are accepted: application/json${isV2 ? `, ${V2_PROTO}` : ''}`);
    const send = (doc: object, cache: string) => {
      const { json, etag } = serialized(doc);
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', cache);
      res.setHeader('Vary', 'Accept');
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      writeBody(req, res, 200, 'application/json', json);
    };
    if (isV2) {
      const doc = buildOpenApiV2(registry, { version: versionInfo().gitVersion.replace(/-k8ts$/, '') });
      if (as === 'json') return send(doc, 'no-cache, private');
      let pb = protoBodies.get(doc);
      if (!pb) {
        pb = Buffer.from(encodeOpenApiV2Protobuf(doc));
        protoBodies.set(doc, pb);
      }
      const etag = `"${openApiDocumentHash(doc)}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Vary', 'Accept');
      res.setHeader('Cache-Control', 'no-cache, private');
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      res.status(200).setHeader('Content-Type', OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
      res.setHeader('Content-Length', String(pb.length));
      res.end(req.method === 'HEAD' ? undefined : pb);
      return;
    }
    if (path === '/openapi/v3' || path === '/openapi/v3/') return send(buildOpenApiV3Index(registry), 'no-cache, private');
    const key = path.replace(/^\/openapi\/v3\//, '');
    const gv = parseOpenApiV3Path(key);
    const doc = gv && buildOpenApiV3Document(registry, gv.group, gv.version);
    if (!doc) return sendStatus(req, res, NOT_FOUND_STATUS);
    const hash = req.query.hash;
    if (hash !== undefined && hash === openApiDocumentHash(doc)) return send(doc, 'public, immutable');
    if (hash !== undefined) {
      // A stale hash: redirect to the current document, as upstream does.
      res.setHeader('Location', `/openapi/v3/${key}?hash=${openApiDocumentHash(doc)}`);
      res.status(301).end();
      return;
    }
    send(doc, 'no-cache, private');
  };
}
