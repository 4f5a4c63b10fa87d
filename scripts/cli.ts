import { getEnv } from "~/server/env.server";
import { DataDirLockedError } from "~/server/db.server";
import { closeRuntimeDb, openRuntimeDb } from "~/server/runtime.server";

/**
 * Runs a command-line task against the configured database and exits with a
 * clear one-line message on failure (e.g. the embedded database folder is
 * already held by a running portal).
 */
export async function runCli(task: (handle: Awaited<ReturnType<typeof openRuntimeDb>>) => Promise<number | void>) {
  let code = 0;
  try {
    getEnv();
    const handle = await openRuntimeDb();
    code = (await task(handle)) ?? 0;
  } catch (error) {
    if (error instanceof DataDirLockedError) console.error(error.message);
    else console.error(error instanceof Error ? error.message : String(error));
    code = 1;
  } finally {
    await closeRuntimeDb().catch(() => {});
  }
  process.exit(code);
}
