// Upstream renders a field.Invalid value that is neither a string nor a simple number with Go's
// `%#v`, so `kubectl` shows e.g.
//   spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable
// These helpers reproduce that rendering for the few value types that appear in such messages.
import type { FieldError } from '../../errors.ts';
import { asObj, isObj } from './object.ts';

/** Go's %q of a string (close enough to strconv.Quote for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** `map[string]string{"a":"b", "c":"d"}` with keys sorted as fmt prints maps; nil when absent. */
export function goStringMap(m: unknown): string {
  if (!isObj(m)) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(', ')}}`;
}

function goStringSlice(v: unknown): string {
  if (!Array.isArray(v)) return '[]string(nil)';
  return `[]string{${v.map((s) => goQuote(String(s))).join(', ')}}`;
}

/** A metav1.LabelSelector as `%#v` prints it (the value a pointer points to). */
export function goLabelSelector(sel: unknown): string {
  if (sel === undefined || sel === null) return 'null';
  const s = asObj(sel);
  const ml = s.matchLabels;
  const exprs = s.matchExpressions;
  const exprText = Array.isArray(exprs)
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((e) => {
          const r = asObj(e);
          return `v1.LabelSelectorRequirement{Key:${goQuote(String(r.key ?? ''))}, Operator:${goQuote(String(r.operator ?? ''))}, Values:${goStringSlice(r.values)}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(ml)}, MatchExpressions:${exprText}}`;
}

/** An intstr.IntOrString as `%#v` prints it. */
export function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  if (typeof v === 'number') return `intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`;
  return 'null';
}

/** A value rendered as upstream's field.Error does for simple kinds: strings quoted, numbers/bools bare. */
export function goSimple(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** field.Invalid with a value already rendered. */
export function invalidRendered(field: string, rendered: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${rendered}${detail ? `: ${detail}` : ''}` };
}

/** field.NotSupported with a value already rendered. */
export function notSupportedRendered(field: string, rendered: string, supported: readonly string[]): FieldError {
  return {
    type: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${rendered}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

/** A list rendered as JSON items (used for structs we cannot print the Go way). */
export function jsonValue(v: unknown): string {
  return JSON.stringify(v ?? null);
}
