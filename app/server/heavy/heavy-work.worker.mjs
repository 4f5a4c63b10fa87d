// The heavy-work worker in the source tree (vitest, `npm run dev`, tsx scripts):
// registers tsx's loader in this worker thread, then loads the tasks from
// TypeScript. In production the pool loads the bundle build/server/heavy-tasks.mjs
// instead (vite.config.ts). See pool.server.ts and ADR 016.
// No top-level await: piscina first tries require() on the worker file.
import { register } from "tsx/esm/api";

register();
const tasks = import("./tasks.server.ts");

/** @param {string} name */
const task = (name) => async (/** @type {unknown} */ input) => (await tasks)[name](input);

export const parseUpload = task("parseUpload");
export const renderPdf = task("renderPdf");
export const renderXlsx = task("renderXlsx");
export const renderExplorerXlsx = task("renderExplorerXlsx");
export const annotate = task("annotate");
export const protectRelease = task("protectRelease");
export const zipFiles = task("zipFiles");
export const loadRenderers = task("loadRenderers");
export const threadInfo = task("threadInfo");
export const spin = task("spin");
export const exhaustMemory = task("exhaustMemory");
