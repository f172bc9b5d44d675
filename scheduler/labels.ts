// Label selectors as the scheduler evaluates them: metav1.LabelSelector (matchLabels and
// matchExpressions with In, NotIn, Exists, DoesNotExist) against an object's labels.
import type { LabelSelector } from './types.ts';

export type Labels = Record<string, string> | undefined;

/** A compiled selector; `null` selects nothing (a nil selector), `{}` everything. */
export type Selector = ((labels: Labels) => boolean) | null;

/** metav1.LabelSelectorAsSelector: undefined (nil) selects nothing, {} selects everything. */
export function compileLabelSelector(sel: LabelSelector | undefined | null): Selector {
  if (!sel) return null;
  const checks: ((labels: Record<string, string>) => boolean)[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) checks.push((l) => l[k] === v);
  for (const r of sel.matchExpressions ?? []) {
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        checks.push((l) => k(l, r.key) && values.includes(l[r.key]!));
        break;
      case 'NotIn':
        checks.push((l) => !k(l, r.key) || !values.includes(l[r.key]!));
        break;
      case 'Exists':
        checks.push((l) => k(l, r.key));
        break;
      case 'DoesNotExist':
        checks.push((l) => !k(l, r.key));
        break;
      default:
        // An invalid operator selects nothing (the API validates selectors; be safe here).
        return null;
    }
  }
  return (labels) => {
    const l = labels ?? {};
    return checks.every((c) => c(l));
  };
}

function k(l: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(l, key);
}

export function matches(sel: Selector, labels: Labels): boolean {
  return sel !== null && sel(labels);
}
