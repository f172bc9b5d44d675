// Label selectors with upstream's grammar, matching and error messages
// (k8s.io/apimachinery/pkg/labels). Parse errors are plain Errors whose message is what
// the API server puts into its 400 BadRequest Status; `labelSelectorError` wraps one.
import { ApiError, apiErrors } from '../errors.ts';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: LabelOperator;
  /** Sorted and de-duplicated for `in`/`notin`; one value for `=`, `==`, `!=`, `gt`, `lt`; empty for exists/`!`. */
  values: string[];
}

export interface LabelSelector {
  /** ANDed, sorted by key. Empty: matches everything. */
  requirements: Requirement[];
  /** Matches nothing (a nil metav1.LabelSelector). */
  nothing?: boolean;
}

/** The structured form in API objects (metav1.LabelSelector). */
export interface MetaLabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

export const everything = (): LabelSelector => ({ requirements: [] });
export const nothing = (): LabelSelector => ({ requirements: [], nothing: true });

// ---------------------------------------------------------------- validation

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const qualifiedNameMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRe = new RegExp(`^(${qualifiedNameFmt})?$`);
const dns1123SubdomainFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  let s = msg + ' (';
  if (examples.length > 0) {
    s += 'e.g. ' + examples.map((e) => `'${e}'`).join(',  or ') + ', ';
  }
  return s + `regex used for validation is '${fmt}')`;
}

/** Upstream's IsQualifiedName: the messages for an invalid label key (empty: valid). */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) {
      errs.push('prefix part must be non-empty');
    } else {
      for (const m of dns1123SubdomainErrors(prefix)) errs.push('prefix part ' + m);
    }
  } else {
    return [
      'a qualified name ' +
        regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) {
    errs.push('name part must be non-empty');
  } else if (name.length > 63) {
    errs.push('name part must be no more than 63 characters');
  }
  if (!qualifiedNameRe.test(name)) {
    errs.push('name part ' + regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc'));
  }
  return errs;
}

export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!dns1123SubdomainRe.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        'example.com',
      ),
    );
  }
  return errs;
}

/** Upstream's IsValidLabelValue. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!labelValueRe.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        `(${qualifiedNameFmt})?`,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** Go's %#v of a []string, as field.Invalid renders non-scalar values. */
function goStringSlice(vals: string[]): string {
  return `[]string{${vals.map((v) => JSON.stringify(v)).join(', ')}}`;
}

// Field paths as upstream renders them for a selector parsed without a path: the root is
// a nil *field.Path ("<nil>"); children of it render without the root.
function invalid(field: string, value: string, detail: string): string {
  return `${field}: Invalid value: ${value}: ${detail}`;
}

/** Upstream's NewRequirement validation; returns the aggregate error message or undefined. */
function validateRequirement(key: string, op: LabelOperator, vals: string[]): string | undefined {
  const errs: string[] = [];
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length) errs.push(invalid('key', JSON.stringify(key), keyErrs.join('; ')));
  switch (op) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalid('values', goStringSlice(vals), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalid('values', goStringSlice(vals), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalid('values', goStringSlice(vals), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalid('values', goStringSlice(vals), "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalid(`values[${i}]`, JSON.stringify(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  vals.forEach((v, i) => {
    const ve = labelValueErrors(v);
    if (ve.length) errs.push(invalid(`values[${i}][${key}]`, JSON.stringify(v), ve.join('; ')));
  });
  if (errs.length === 0) return undefined;
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

/** strconv.ParseInt(s, 10, 64) */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}

// ---------------------------------------------------------------- lexer and parser

const enum Tok {
  Error,
  End,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const literalTokens: Record<string, Tok> = {
  ')': Tok.ClosedPar,
  ',': Tok.Comma,
  '!': Tok.DoesNotExist,
  '==': Tok.DoubleEquals,
  '=': Tok.Equals,
  '>': Tok.GreaterThan,
  in: Tok.In,
  '<': Tok.LessThan,
  '!=': Tok.NotEquals,
  notin: Tok.NotIn,
  '(': Tok.OpenPar,
};

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c);

interface Item {
  tok: Tok;
  lit: string;
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.End, lit: '' });
      return items;
    }
    const c = s[pos]!;
    if (isSpecial(c)) {
      // Longest run of special symbols that forms a known token.
      let buf = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buf += s[pos];
        const t = literalTokens[buf];
        if (t !== undefined) {
          last = { tok: t, lit: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) buf += s[pos++];
      const t = literalTokens[buf];
      items.push({ tok: t ?? Tok.Identifier, lit: buf });
    }
  }
}

const binaryOperators = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  private lookahead(values: boolean): Item {
    return this.adjust(this.items[this.pos]!, values);
  }
  private consume(values: boolean): Item {
    return this.adjust(this.items[this.pos++]!, values);
  }
  private adjust(it: Item, values: boolean): Item {
    if (values && (it.tok === Tok.In || it.tok === Tok.NotIn)) return { tok: Tok.Identifier, lit: it.lit };
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      switch (tok) {
        case Tok.Identifier:
        case Tok.DoesNotExist: {
          let r: Requirement;
          try {
            r = this.parseRequirement();
          } catch (e) {
            throw new Error(`unable to parse requirement: ${(e as Error).message}`);
          }
          reqs.push(r);
          const t = this.consume(true);
          if (t.tok === Tok.End) return reqs;
          if (t.tok === Tok.Comma) {
            const t2 = this.lookahead(true);
            if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) {
              throw new Error(`found '${t2.lit}', expected: identifier after ','`);
            }
            break;
          }
          throw new Error(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
        case Tok.End:
          return reqs;
        default:
          throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    let op: LabelOperator | undefined;
    let t = this.consume(true);
    if (t.tok === Tok.DoesNotExist) {
      op = '!';
      t = this.consume(true);
    }
    if (t.tok !== Tok.Identifier) throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = qualifiedNameErrors(key);
    if (keyErrs.length) throw new Error(`<nil>: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    const next = this.lookahead(true).tok;
    if (next === Tok.End || next === Tok.Comma) {
      if (op !== '!') op = 'exists';
    }
    if (op === 'exists' || op === '!') return newRequirement(key, op, []);

    const o = this.consume(false);
    let operator: LabelOperator;
    switch (o.tok) {
      case Tok.In:
        operator = 'in';
        break;
      case Tok.Equals:
        operator = '=';
        break;
      case Tok.DoubleEquals:
        operator = '==';
        break;
      case Tok.GreaterThan:
        operator = 'gt';
        break;
      case Tok.LessThan:
        operator = 'lt';
        break;
      case Tok.NotIn:
        operator = 'notin';
        break;
      case Tok.NotEquals:
        operator = '!=';
        break;
      default:
        throw new Error(`found '${o.lit}', expected: ${binaryOperators}`);
    }
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  private parseValues(): Set<string> {
    const t = this.consume(true);
    if (t.tok !== Tok.OpenPar) throw new Error(`found '${t.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    switch (tok) {
      case Tok.Identifier:
      case Tok.Comma: {
        const s = this.parseIdentifiersList();
        if (this.consume(true).tok !== Tok.ClosedPar) throw new Error(`found '${lit}', expected: ')'`);
        return s;
      }
      case Tok.ClosedPar:
        this.consume(true);
        return new Set(['']);
      default:
        throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    }
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(true);
      switch (tok) {
        case Tok.Identifier: {
          s.add(lit);
          const t2 = this.lookahead(true);
          if (t2.tok === Tok.Comma) continue;
          if (t2.tok === Tok.ClosedPar) return s;
          throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
        }
        case Tok.Comma: {
          if (s.size === 0) s.add('');
          const t2 = this.lookahead(true).tok;
          if (t2 === Tok.ClosedPar) {
            s.add('');
            return s;
          }
          if (t2 === Tok.Comma) s.add('');
          continue;
        }
        default:
          throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const t = this.lookahead(true).tok;
    if (t === Tok.End || t === Tok.Comma) return new Set(['']);
    const { tok, lit } = this.consume(true);
    if (tok === Tok.Identifier) return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

function newRequirement(key: string, operator: LabelOperator, values: string[]): Requirement {
  const err = validateRequirement(key, operator, values);
  if (err) throw new Error(err);
  return { key, operator, values };
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Parses a label selector string (`?labelSelector=`). Throws an Error with upstream's
 * message (e.g. `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`).
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const reqs = new Parser(lex(selector)).parse();
  return { requirements: sortByKey(reqs) };
}

/** As parseLabelSelector, throwing the 400 BadRequest ApiError the server returns. */
export function parseLabelSelectorOrBadRequest(selector: string): LabelSelector {
  try {
    return parseLabelSelector(selector);
  } catch (e) {
    throw labelSelectorError(e);
  }
}

export function labelSelectorError(e: unknown): ApiError {
  return e instanceof ApiError ? e : apiErrors.badRequest((e as Error).message);
}

// ---------------------------------------------------------------- matching

export function matchesRequirement(r: Requirement, labels: Record<string, string> | undefined | null): boolean {
  const has = labels != null && Object.prototype.hasOwnProperty.call(labels, r.key);
  const val = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(val!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(val!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(val!);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined | null): boolean {
  if (sel.nothing) return false;
  return sel.requirements.every((r) => matchesRequirement(r, labels));
}

export function isEverything(sel: LabelSelector): boolean {
  return !sel.nothing && sel.requirements.length === 0;
}

// ---------------------------------------------------------------- metav1.LabelSelector

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, `{}` matches everything.
 * Throws an Error with upstream's message for an invalid selector.
 */
export function labelSelectorFromObject(ls: MetaLabelSelector | null | undefined): LabelSelector {
  if (ls == null) return nothing();
  const ml = ls.matchLabels ?? {};
  const me = ls.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && me.length === 0) return everything();
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ml)) reqs.push(newRequirement(k, '=', [v]));
  for (const expr of me) {
    let op: LabelOperator;
    switch (expr.operator) {
      case 'In':
        op = 'in';
        break;
      case 'NotIn':
        op = 'notin';
        break;
      case 'Exists':
        op = 'exists';
        break;
      case 'DoesNotExist':
        op = '!';
        break;
      default:
        throw new Error(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    }
    reqs.push(newRequirement(expr.key, op, [...new Set(expr.values ?? [])].sort()));
  }
  return { requirements: sortByKey(reqs) };
}

function requirementString(r: Requirement): string {
  let s = r.operator === '!' ? '!' + r.key : r.key;
  switch (r.operator) {
    case 'exists':
    case '!':
      return s;
    case 'in':
      s += ' in ';
      break;
    case 'notin':
      s += ' notin ';
      break;
    case 'gt':
      s += '>';
      break;
    case 'lt':
      s += '<';
      break;
    default:
      s += r.operator;
  }
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${s}(${vals})` : s + vals;
}

/**
 * The string form of a selector (labels.Selector.String()), e.g. `app=web,tier in (a,b)`,
 * as used for Scale.status.selector. Accepts a parsed selector or a metav1.LabelSelector
 * (null metav1 selector: "", an invalid one: "").
 */
export function formatLabelSelector(sel: LabelSelector | MetaLabelSelector | null | undefined): string {
  if (sel == null) return '';
  let parsed: LabelSelector;
  if ('requirements' in sel && Array.isArray((sel as LabelSelector).requirements)) {
    parsed = sel as LabelSelector;
  } else {
    try {
      parsed = labelSelectorFromObject(sel as MetaLabelSelector);
    } catch {
      return '';
    }
  }
  if (parsed.nothing) return '';
  return parsed.requirements.map(requirementString).join(',');
}

/**
 * metav1.FormatLabelSelector, for printer columns (SELECTOR): `<none>` when empty,
 * `<error>` when invalid.
 */
export function describeLabelSelector(sel: MetaLabelSelector | null | undefined): string {
  let s: string;
  try {
    s = formatLabelSelector(labelSelectorFromObject(sel));
  } catch {
    return '<error>';
  }
  return s === '' ? '<none>' : s;
}

/** labels.SelectorFromSet(...).String(): `a=b,c=d`, sorted by key, as used for `Selector` columns of a map selector. */
export function formatLabelSet(set: Record<string, string> | null | undefined): string {
  if (!set) return '';
  return Object.keys(set)
    .sort()
    .map((k) => `${k}=${set[k]}`)
    .join(',');
}
