// The garbage collector's decisions (upstream attemptToDeleteItem / processDeletingDependentsItem),
// as pure functions of what was found about an object and its owners.
import type { OwnerReference } from '../runtime/types.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from './graph.ts';

/**
 * solid: the owner exists and is not being deleted in the foreground;
 * dangling: the owner does not exist (or has another uid);
 * waiting: the owner is being deleted in the foreground, waiting for its dependents.
 */
export type OwnerState = 'solid' | 'dangling' | 'waiting';

export interface ItemFacts {
  ownerReferences: OwnerReference[];
  finalizers: string[];
  /** The state of each owner, by uid. */
  owners: Map<string, OwnerState>;
  /** Whether the item has dependents of its own. */
  hasDependents: boolean;
  /** Whether one of its dependents is itself deleting its dependents (a possible cycle). */
  dependentDeletingDependents: boolean;
}

export type DeleteAction =
  | { type: 'none' }
  /** Keep the item, drop the references to owners that are gone or going. */
  | { type: 'removeOwnerReferences'; uids: string[] }
  /** Delete the item in the foreground (its owner waits for it, and it has dependents). */
  | { type: 'deleteForeground'; unblockFirst: boolean }
  | { type: 'delete'; policy: 'Background' | 'Foreground' | 'Orphan' };

/** What to do with an item that has ownerReferences and is not being deleted. */
export function decideAttemptToDelete(f: ItemFacts): DeleteAction {
  const solid: string[] = [];
  const dangling: string[] = [];
  const waiting: string[] = [];
  for (const ref of f.ownerReferences) {
    const s = f.owners.get(ref.uid) ?? 'solid';
    (s === 'solid' ? solid : s === 'dangling' ? dangling : waiting).push(ref.uid);
  }
  if (f.ownerReferences.length === 0) return { type: 'none' };
  if (solid.length > 0) {
    // Still owned: only stale references go.
    if (dangling.length === 0 && waiting.length === 0) return { type: 'none' };
    return { type: 'removeOwnerReferences', uids: [...dangling, ...waiting] };
  }
  if (waiting.length > 0 && f.hasDependents) {
    // Cascade the foreground deletion; a dependent itself waiting on its dependents may be a
    // cycle, so the item stops blocking its owners first (upstream's circle detection).
    return { type: 'deleteForeground', unblockFirst: f.dependentDeletingDependents };
  }
  // No solid owner: collect it, honouring the policy its own finalizers ask for.
  const policy = f.finalizers.includes(FINALIZER_ORPHAN) ? 'Orphan' : f.finalizers.includes(FINALIZER_FOREGROUND) ? 'Foreground' : 'Background';
  return { type: 'delete', policy };
}

/** The ownerReferences left after removing the given owner uids. */
export function withoutOwners(refs: OwnerReference[], uids: Iterable<string>): OwnerReference[] {
  const drop = new Set(uids);
  return refs.filter((r) => !drop.has(r.uid));
}

/** The ownerReferences with blockOwnerDeletion turned off. */
export function unblocked(refs: OwnerReference[]): OwnerReference[] {
  return refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
}
