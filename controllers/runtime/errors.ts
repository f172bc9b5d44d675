// Errors from the API server: the Status object it answered with, its HTTP code and reason.
import type { StatusObject } from './types.ts';

export class ApiStatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: StatusObject;

  constructor(code: number, status: StatusObject | undefined, fallbackMessage = '') {
    const st: StatusObject = status ?? { kind: 'Status', status: 'Failure', code, message: fallbackMessage };
    super(st.message || fallbackMessage || `HTTP ${code}`);
    this.name = 'ApiStatusError';
    this.code = st.code ?? code;
    this.reason = st.reason ?? '';
    this.status = st;
  }
}

function code(err: unknown): number | undefined {
  return err instanceof ApiStatusError ? err.code : undefined;
}

export const isNotFound = (err: unknown) => code(err) === 404;
export const isConflict = (err: unknown) => code(err) === 409 && (err as ApiStatusError).reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown) => err instanceof ApiStatusError && err.reason === 'AlreadyExists';
/** 410 Gone / Expired: a resourceVersion or continue token too old. */
export const isGone = (err: unknown) => code(err) === 410;
export const isForbidden = (err: unknown) => code(err) === 403;
export const isMethodNotAllowed = (err: unknown) => code(err) === 405;
/** NamespaceLifecycle's refusal to create content in a terminating namespace. */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 403 && (err.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
