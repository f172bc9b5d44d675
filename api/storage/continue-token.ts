// List continuation tokens in upstream's format (k8s.io/apiserver/pkg/storage/continue.go):
// base64url (no padding) of {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<key after prefix>"}.
// rv -1 means "continue at the latest revision" (handed out after a compaction).
import { apiErrors } from '../errors.ts';

const VERSION = 'meta.k8s.io/v1';

export interface ContinueToken {
  /** The revision the list is read at; -1: the current one (an inconsistent continuation). */
  rv: number;
  /** Key to resume from, relative to the listed prefix. */
  start: string;
}

export function encodeContinue(keyToResumeFrom: string, keyPrefix: string, rv: number): string {
  const start = keyToResumeFrom.startsWith(keyPrefix) ? keyToResumeFrom.slice(keyPrefix.length) : keyToResumeFrom;
  return Buffer.from(JSON.stringify({ v: VERSION, rv, start }), 'utf8').toString('base64url');
}

/** Decodes a token into the key to resume from (absolute) and the revision; 400 BadRequest when invalid. */
export function decodeContinue(token: string, keyPrefix: string): { fromKey: string; rv: number } {
  const bad = (why: string) => apiErrors.badRequest(`continue key is not valid: ${why}`);
  let parsed: unknown;
  try {
    const normalized = token.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    parsed = JSON.parse(Buffer.from(normalized, 'base64url').toString('utf8'));
  } catch {
    throw bad('illegal base64 data or JSON');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (typeof t !== 'object' || t === null || t.v !== VERSION) throw bad(`server does not recognize this encoded version ${JSON.stringify(t?.v ?? '')}`);
  if (typeof t.rv !== 'number' || !Number.isSafeInteger(t.rv) || t.rv === 0 || t.rv < -1) throw bad(`incorrect encoded start resourceVersion (version ${VERSION})`);
  if (typeof t.start !== 'string' || t.start.length === 0) throw bad(`encoded start key empty (version ${VERSION})`);
  // Upstream refuses tokens that would escape the prefix.
  const cleaned = t.start.replace(/^\/+/, '');
  if (cleaned.split('/').some((seg) => seg === '..' || seg === '.')) throw bad('continue key may not contain relative path segments');
  return { fromKey: keyPrefix + cleaned, rv: t.rv };
}
