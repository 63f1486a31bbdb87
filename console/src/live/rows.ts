import type { NumberRowFragment, NumberState } from "../gql/graphql";

/** What the numbers table shows: whose numbers (null: all the key can see) and which of them. */
export interface Scope {
  accountId: string | null;
  includeDescendants: boolean;
  states: NumberState[];
  prefix: string;
  carrier: string;
}

export interface Change {
  cursor: string;
  e164: string;
  deleted: boolean;
  number?: NumberRowFragment | null;
}

export function matches(row: NumberRowFragment, scope: Scope): boolean {
  if (scope.states.length > 0 && !scope.states.includes(row.state)) return false;
  if (scope.prefix && !row.e164.startsWith(scope.prefix)) return false;
  if (scope.carrier && row.carrier !== scope.carrier) return false;
  if (scope.accountId === null) return true;
  const owner = row.account;
  if (!owner) return false;
  if (owner.accountId === scope.accountId) return true;
  return scope.includeDescendants && owner.ancestors.some((a) => a.accountId === scope.accountId);
}

/**
 * The page after a change: the row is updated in place, removed when the number is gone or no longer
 * matches, and inserted (in E.164 order, like the listing) when it now matches and falls within this page:
 * a number past the last row of a page that has a next page belongs to a later page, one before the first
 * row of a page that is not the first belongs to an earlier one.
 */
export function applyChange(
  rows: readonly NumberRowFragment[], change: Change, scope: Scope, page: { first: boolean; last: boolean },
): NumberRowFragment[] {
  const shown = rows.find((r) => r.e164 === change.e164);
  const next = change.deleted ? null : change.number ?? null;
  // A catch-up page may replay a change older than one the live feed already delivered.
  if (shown && next && next.modifiedAt < shown.modifiedAt) return [...rows];
  const without = rows.filter((r) => r.e164 !== change.e164);
  const present = without.length !== rows.length;
  if (!next || !matches(next, scope)) return present ? without : [...rows];
  if (!present && rows.length > 0) {
    if (!page.last && next.e164 > rows[rows.length - 1].e164) return [...rows];
    if (!page.first && next.e164 < rows[0].e164) return [...rows];
  }
  return [...without, next].sort((a, b) => (a.e164 < b.e164 ? -1 : a.e164 > b.e164 ? 1 : 0));
}
