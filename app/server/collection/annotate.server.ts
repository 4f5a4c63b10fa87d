import type { Problem } from "~/domain/problems";
import { runHeavy } from "../heavy/pool.server";

/** Information on a cell that is not a problem, e.g. a value declared « non disponible » (ADR 026). */
export interface AnnotationNote {
  sheet: string;
  cell: string;
  message: string;
  hint: string;
}

/**
 * The partner's own workbook with each faulty cell highlighted (red: error,
 * amber: warning) and a note saying what is wrong and what to do, so every
 * problem can be fixed in one pass. Loading and writing the whole workbook
 * runs in a worker thread (app/server/heavy): the event loop only waits.
 */
export async function annotateWorkbook(original: Uint8Array, problems: readonly Problem[], notes: readonly AnnotationNote[] = []): Promise<Buffer> {
  const annotated = await runHeavy("annotate", {
    original,
    problems: [
      ...problems.map((p) => ({ sheet: p.sheet, cell: p.cell, severity: p.severity, message: p.message, hint: p.hint })),
      ...notes.map((n) => ({ sheet: n.sheet, cell: n.cell, severity: "info" as const, message: n.message, hint: n.hint })),
    ],
  });
  return Buffer.from(annotated.buffer, annotated.byteOffset, annotated.byteLength);
}
