import { afterAll } from "vitest";
import { createDb, type DbHandle } from "~/server/db.server";

/**
 * Several "instances" on one test database, for the caches kept coherent by
 * LISTEN/NOTIFY (ADR 033, ADR 035): on PostgreSQL a second instance is its
 * own pool on the same schema (hence its own listening connection); on the
 * embedded database it is the same handle. What the file opens — handles and
 * caches — is closed after its tests (caches first).
 */
export function useInstances(t: { readonly handle: DbHandle }) {
  const handles: DbHandle[] = [];
  const closables: { close(): Promise<void> }[] = [];

  afterAll(async () => {
    for (const closable of closables) await closable.close();
    for (const handle of handles) await handle.close();
  });

  return {
    /** A second instance's database handle. */
    async secondInstance(): Promise<DbHandle> {
      const url = process.env.DATABASE_URL;
      if (!url) return t.handle;
      const handle = await createDb({
        databaseUrl: url,
        schema: (t.handle as DbHandle & { schema?: string }).schema,
        poolMax: 2,
      });
      handles.push(handle);
      return handle;
    },
    /** `closable`, closed after the file's tests. */
    closeLater<T extends { close(): Promise<void> }>(closable: T): T {
      closables.push(closable);
      return closable;
    },
  };
}

/** Waits (up to 3 s) for `condition`, e.g. a notification's arrival; throws naming `what` if it never holds. */
export async function until(
  condition: () => boolean,
  what: string
): Promise<void> {
  for (let i = 0; i < 300 && !condition(); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}
