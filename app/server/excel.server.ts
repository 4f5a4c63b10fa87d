import type ExcelJSModule from "exceljs";
import { lazyDefault } from "./lazy-module.server";

/**
 * exceljs, loaded on first use rather than with the server bundle (ADR 036):
 * ~0.65 s of CPU and ~26 MiB that a start (and a portal that never writes
 * a workbook) need not pay. Types come from `import type ExcelJS from "exceljs"`.
 */
export type ExcelJS = typeof ExcelJSModule;

export const loadExcelJS: () => Promise<ExcelJS> = lazyDefault<ExcelJS>(() => import("exceljs"));
