// Label selectors as controllers use them (apimachinery's metav1.LabelSelectorAsSelector and
// labels.SelectorFromSet): matching a label set, rendering the `labelSelector` query string.
// An absent selector selects nothing; an empty one selects everything.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Labels = Record<string, string> | undefined;

/** A compiled selector: matches(labels), and its string form ('' selects everything). */
export interface Selector {
  matches(labels: Labels): boolean;
  /** True when it selects nothing (a nil selector). */
  readonly nothing: boolean;
  /** True when it selects everything (an empty selector). */
  readonly everything: boolean;
  toString(): string;
}

const NOTHING: Selector = { matches: () => false, nothing: true, everything: false, toString: () => '' };

/** metav1.LabelSelectorAsSelector; throws on an unknown operator or malformed requirement. */
export function labelSelectorAsSelector(sel: LabelSelector | null | undefined): Selector {
  if (!sel) return NOTHING;
  const ml = sel.matchLabels ?? {};
  const me = sel.matchExpressions ?? [];
  type Req = { key: string; op: string; values: string[] };
  const reqs: Req[] = [];
  for (const [k, v] of Object.entries(ml)) reqs.push({ key: k, op: '=', values: [v] });
  for (const e of me) {
    const values = [...(e.values ?? [])];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new Error(`${e.key}: for 'in', 'notin' operators, values set can't be empty`);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new Error(`${e.key}: values set must be empty for exists and does not exist`);
        break;
      default:
        throw new Error(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    }
    reqs.push({ key: e.key, op: e.operator, values: [...new Set(values)].sort() });
  }
  // labels.Selector keeps requirements sorted by key (stable for equal keys).
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const everything = reqs.length === 0;
  const matches = (labels: Labels): boolean => {
    const l = labels ?? {};
    for (const r of reqs) {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      switch (r.op) {
        case '=':
        case 'In':
          if (!has || !r.values.includes(l[r.key]!)) return false;
          break;
        case 'NotIn':
          if (has && r.values.includes(l[r.key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
      }
    }
    return true;
  };
  const str = reqs
    .map((r) => {
      switch (r.op) {
        case '=':
          return `${r.key}=${r.values[0]}`;
        case 'In':
          return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        default:
          return `!${r.key}`;
      }
    })
    .join(',');
  return { matches, nothing: false, everything, toString: () => str };
}

/** labels.SelectorFromSet (a ReplicationController's map selector); an empty set selects everything. */
export function selectorFromSet(set: Record<string, string> | null | undefined): Selector {
  return labelSelectorAsSelector({ matchLabels: set ?? {} });
}

/** A copy of the selector with key=value added to matchLabels (labelsutil.CloneSelectorAndAddLabel). */
export function cloneSelectorAndAddLabel(sel: LabelSelector | undefined, key: string, value: string): LabelSelector {
  const out: LabelSelector = structuredClone(sel ?? {});
  out.matchLabels = { ...(out.matchLabels ?? {}), [key]: value };
  return out;
}

/** True for `{}` (or a selector with no requirements): upstream refuses to act on such a selector. */
export function isEmptySelector(sel: LabelSelector | null | undefined): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}
