/**
 * Interpreting a workbook's rows against the plan is pure and lives in
 * app/domain/workbook-interpretation.ts (docs/architecture.md, « Map »);
 * reading the file is workbook-reader.server.ts. This re-export keeps
 * submissions.server.ts's import until that module imports the domain itself.
 */
export type { InterpretExpectation } from "~/domain/workbook-interpretation";
