/**
 * Breakdown cells of an indicator (e.g. sex × age band) are identified by a
 * canonical key: '' for the total, else `LIST=CODE|LIST=CODE` in the order of
 * the indicator version's breakdown lists. Used by submissions, accepted
 * values, the explorer, publications and the dashboard alike.
 */
export type BreakdownCell = Record<string, string>;

export const TOTAL_KEY = "";

export function breakdownKey(cell: BreakdownCell, order: readonly string[]): string {
  return order
    .filter((list) => cell[list] !== undefined)
    .map((list) => `${list}=${cell[list]}`)
    .join("|");
}

export function parseBreakdownKey(key: string): BreakdownCell {
  if (key === TOTAL_KEY) return {};
  return Object.fromEntries(
    key.split("|").map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at), part.slice(at + 1)];
    }),
  );
}

/** Every cell of the cartesian product of the lists (without the total), in order. */
export function breakdownCells(lists: readonly { code: string; items: readonly { code: string }[] }[]): BreakdownCell[] {
  let cells: BreakdownCell[] = [{}];
  for (const list of lists) {
    cells = cells.flatMap((cell) => list.items.map((item) => ({ ...cell, [list.code]: item.code })));
  }
  return lists.length === 0 ? [] : cells;
}
