/**
 * The generation of the pages this process holds (held-pages.server.ts, ADR 055).
 *
 * A held page is keyed by the database's snapshot, which every ended
 * transaction changes. Pages also show what the process's own caches hold (validated
 * sessions, the shell's shared data, the artefact cache's read models), and
 * those learn of another instance's change by NOTIFY, a few milliseconds
 * after its commit: a page rendered in that window from a cache not yet
 * emptied would be held under the new snapshot. So every time one of those
 * caches is emptied, it calls `forgetHeldPages()` too, and a page whose
 * render began before that is neither stored nor served.
 *
 * Its own module, without imports: the caches call it, and the held pages
 * depend on the session check, which depends on the session cache.
 */
let generation = 0;

export function forgetHeldPages(): void {
  generation++;
}

export function heldPagesGeneration(): number {
  return generation;
}
