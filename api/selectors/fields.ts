// Field selectors with upstream's grammar (k8s.io/apimachinery/pkg/fields): terms
// `field=value`, `field==value`, `field!=value`, joined by commas; `\`, `,` and `=` in
// values are escaped with a backslash. Errors carry upstream's messages.
import { ApiError, apiErrors } from '../errors.ts';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  /** ANDed. Empty: matches everything. */
  requirements: FieldRequirement[];
}

function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const termOperators = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: (typeof termOperators)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** fields.UnescapeValue */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new Error(`invalid field selector: unescaped character in value: ${c}`);
    else out += c;
  }
  if (inSlash) throw new Error('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** fields.EscapeValue */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => '\\' + c);
}

/**
 * Parses `?fieldSelector=`. Terms are sorted as upstream sorts them. Throws an Error with
 * upstream's message, e.g. `invalid selector: 'a'; can't understand 'a'`.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const requirements: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new Error(`invalid selector: '${selector}'; can't understand '${part}'`);
    const value = unescapeFieldValue(t.rhs);
    requirements.push({ field: t.lhs, operator: t.op === '!=' ? '!=' : '=', value });
  }
  return { requirements };
}

/** The message upstream's field label conversion returns for a field it doesn't index. */
export function fieldLabelNotSupported(field: string): string {
  return `field label not supported: ${field}`;
}

/**
 * Checks every field of the selector against the resource's supported field paths
 * (`metadata.name`, `metadata.namespace` and the descriptor's `fieldSelectors`), in the
 * order upstream checks them; throws `field label not supported: <name>`.
 */
export function checkFieldSelector(sel: FieldSelector, supported: Iterable<string>): void {
  const ok = new Set(supported);
  for (const r of sel.requirements) {
    if (!ok.has(r.field)) throw new Error(fieldLabelNotSupported(r.field));
  }
}

/** The paths every resource supports (metadata.name, metadata.namespace) plus the descriptor's own. */
export function supportedFieldPaths(fieldSelectors: Record<string, unknown> | undefined): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(fieldSelectors ?? {})];
}

/** parse + check, throwing the 400 BadRequest ApiError the server returns for either failure. */
export function parseFieldSelectorOrBadRequest(selector: string, supported: Iterable<string>): FieldSelector {
  try {
    const sel = parseFieldSelector(selector);
    checkFieldSelector(sel, supported);
    return sel;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw apiErrors.badRequest((e as Error).message);
  }
}

/**
 * Whether the object matches; `getField(path)` returns the object's value for a selectable
 * field (undefined counts as the empty string, as upstream's fields.Set.Get).
 */
export function matchesFields(sel: FieldSelector, getField: (path: string) => string | undefined): boolean {
  for (const r of sel.requirements) {
    const v = getField(r.field) ?? '';
    if (r.operator === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** The value a selector requires for a field (`metadata.name=x`), as RequiresExactMatch. */
export function requiresExactMatch(sel: FieldSelector, field: string): string | undefined {
  for (const r of sel.requirements) if (r.field === field && r.operator === '=') return r.value;
  return undefined;
}

/** fields.Selector.String(), values escaped. */
export function formatFieldSelector(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}
