// metav1.LabelSelector as the workload APIs use it, on top of the shared selector code
// (api/selectors/labels.ts, api/validation/label-selector.ts): whether it converts, whether a
// label set matches, and its text forms.
import { describeLabelSelector, formatLabelSelector as selectorText, labelSelectorFromObject, matchesLabels, type LabelSelector, type MetaLabelSelector } from '../../selectors/labels.ts';
import { asArr, asObj } from './object.ts';

export { validateLabelSelector } from '../../validation/label-selector.ts';
export { formatLabels } from '../core/common.ts';

export function isEmptySelector(sel: unknown): boolean {
  const s = asObj(sel);
  return Object.keys(asObj(s.matchLabels)).length + asArr(s.matchExpressions).length === 0;
}

/** LabelSelectorAsSelector: the parsed selector, or null when it does not convert. */
function convert(sel: unknown): LabelSelector | null {
  try {
    return labelSelectorFromObject((sel ?? null) as MetaLabelSelector | null);
  } catch {
    return null;
  }
}

/** Whether the selector converts to a labels.Selector (LabelSelectorAsSelector returns no error). */
export function selectorConverts(sel: unknown): boolean {
  return convert(sel) !== null;
}

/**
 * Whether a label set matches: a nil selector matches nothing, an empty one everything, an
 * invalid one is reported as `undefined` (upstream skips the check when conversion fails).
 */
export function selectorMatches(sel: unknown, labels: Record<string, string> | undefined): boolean | undefined {
  const s = convert(sel);
  return s === null ? undefined : matchesLabels(s, labels);
}

/** labels.Selector.String() of LabelSelectorAsSelector(sel): '' for nil or empty, null when invalid. */
export function selectorString(sel: unknown): string | null {
  const s = convert(sel);
  return s === null ? null : selectorText(s);
}

/** metav1.FormatLabelSelector: `<none>` when empty, `<error>` when it does not convert. */
export function formatLabelSelector(sel: unknown): string {
  return describeLabelSelector((sel ?? null) as MetaLabelSelector | null);
}
