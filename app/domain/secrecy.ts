/**
 * Statistical secrecy for anything shown outside the observatory (convention
 * Art. 3 and 5; CASF D226-3-4: no direct or indirect identification).
 *
 * - Primary suppression: a count in 1..threshold−1 is masked.
 *   Zero is not secret. The threshold is per indicator (default 5).
 * - Secondary suppression: a table is a set of additive constraints
 *   (total = sum of members: a row with its row total, a column with its
 *   column total, a breakdown with the indicator's total). A masked cell could
 *   be recomputed from a constraint in which it is the only masked cell, so
 *   every constraint must have either no masked cell or at least two. We mask,
 *   greedily, the smallest unmasked member of each offending constraint
 *   (a total only when no member is left) until no constraint offends.
 *
 * Internal views show true values and never call this.
 *
 * Whatever the reason a cell is masked (primary or secondary), everything
 * that leaves the observatory shows the same mark, SECRET_LABEL, explained
 * once by SECRET_EXPLANATION: the reason is internal information (telling a
 * secondary cell from a primary one narrows it, ADR 015).
 */
export const SECRET_LABEL = "s";
export const SECRET_EXPLANATION = "s : secret statistique";

export type SuppressionReason = "primary" | "secondary";

export interface SecrecyCell {
  id: string;
  value: number | null;
  /** Counts in 1..threshold−1 are secret; 0 disables primary suppression for the cell. */
  threshold: number;
  /** Only counts are subject to primary suppression (rates, amounts… are not). */
  isCount?: boolean;
}

export interface SecrecyConstraint {
  total: string;
  members: readonly string[];
}

export function isPrimarySecret(value: number | null, threshold: number): boolean {
  return value !== null && value > 0 && value < threshold;
}

export function applySecrecy(cells: readonly SecrecyCell[], constraints: readonly SecrecyConstraint[]): Map<string, SuppressionReason> {
  const byId = new Map(cells.map((c) => [c.id, c]));
  const masked = new Map<string, SuppressionReason>();
  for (const cell of cells) {
    if ((cell.isCount ?? true) && isPrimarySecret(cell.value, cell.threshold)) masked.set(cell.id, "primary");
  }
  const known = constraints.map((c) => ({
    total: c.total,
    members: c.members.filter((m) => byId.has(m)),
  }));
  const valueOf = (id: string) => byId.get(id)?.value ?? 0;

  // Each pass masks at least one more cell, so at most |cells| passes.
  for (let pass = 0; pass <= cells.length; pass++) {
    let changed = false;
    for (const constraint of known) {
      const all = byId.has(constraint.total) ? [constraint.total, ...constraint.members] : [...constraint.members];
      const maskedHere = all.filter((id) => masked.has(id));
      if (maskedHere.length !== 1) continue;
      const candidates = constraint.members
        .filter((id) => !masked.has(id) && byId.get(id)!.value !== null)
        .sort((a, b) => valueOf(a) - valueOf(b) || a.localeCompare(b));
      // Prefer a non-zero cell: masking a zero hides little (zeros are public knowledge in small tables).
      const pick = candidates.find((id) => valueOf(id) > 0) ?? candidates[0] ?? (byId.has(constraint.total) && !masked.has(constraint.total) ? constraint.total : undefined);
      if (pick === undefined) continue;
      masked.set(pick, "secondary");
      changed = true;
    }
    if (!changed) break;
  }
  return masked;
}

/** Constraints of a one-dimensional breakdown: the total equals the sum of its cells. */
export function breakdownConstraint(totalId: string, cellIds: readonly string[]): SecrecyConstraint[] {
  return cellIds.length ? [{ total: totalId, members: cellIds }] : [];
}

/**
 * Constraints of a two-way table with margins: ids are `cellId(r, c)`,
 * row totals `cellId(r, "*")`, column totals `cellId("*", c)`, grand total `cellId("*", "*")`.
 */
export function crossTableConstraints(
  rows: readonly string[],
  columns: readonly string[],
  cellId: (row: string, column: string) => string,
): SecrecyConstraint[] {
  const constraints: SecrecyConstraint[] = [];
  for (const r of rows) constraints.push({ total: cellId(r, "*"), members: columns.map((c) => cellId(r, c)) });
  for (const c of columns) constraints.push({ total: cellId("*", c), members: rows.map((r) => cellId(r, c)) });
  constraints.push({ total: cellId("*", "*"), members: rows.map((r) => cellId(r, "*")) });
  constraints.push({ total: cellId("*", "*"), members: columns.map((c) => cellId("*", c)) });
  return constraints;
}

/**
 * ADR 030: a margin equation (total = Σ members) holds only when every cell
 * in it is the sum of the same organisations' values. A partial total
 * (an ND part) or a cell « non disponible » is not the sum of all parts: such
 * an equation is dropped — it cannot be used to recompute a masked cell, and
 * it must not make the engine mask a neighbour for nothing.
 */
export function withoutPartialEquations(constraints: readonly SecrecyConstraint[], incomplete: (id: string) => boolean): SecrecyConstraint[] {
  return constraints.filter((c) => !incomplete(c.total) && !c.members.some(incomplete));
}
