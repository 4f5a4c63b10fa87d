import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "kysely";
import type { Db, DbHandle } from "../db.server";

/**
 * Backups hold everything: workbooks, logos and documents are stored in the
 * database. PostgreSQL: pg_dump's custom format, restored with pg_restore.
 * Embedded: PGlite's own data-folder dump (a gzipped tarball), restored into
 * an empty DATA_DIR. See docs/operations.md.
 */

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (error) => reject(new Error(`${command} introuvable ou impossible à lancer : ${error.message}`)));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} a échoué (code ${code}) : ${stderr.trim().slice(0, 2000)}`))));
  });
}

export async function backupPostgres(databaseUrl: string, file: string) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  await run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", `--file=${file}`, databaseUrl]);
}

export async function restorePostgres(databaseUrl: string, file: string) {
  if (!fs.existsSync(file)) throw new Error(`Sauvegarde introuvable : ${file}`);
  await run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", `--dbname=${databaseUrl}`, file]);
}

/** Dumps the embedded database while holding its single connection (no write can interleave). */
export async function backupEmbedded(handle: DbHandle, file: string) {
  if (!handle.pglite) throw new Error("backupEmbedded needs the embedded database");
  const pglite = handle.pglite;
  const dump = await handle.db.connection().execute(async () => pglite.dumpDataDir("gzip"));
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
}

/** Restores a PGlite dump into `dataDir`, which must not hold a database yet (move it aside first). */
export async function restoreEmbedded(file: string, dataDir: string) {
  if (!fs.existsSync(file)) throw new Error(`Sauvegarde introuvable : ${file}`);
  const target = path.join(dataDir, "pgdata");
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new Error(`${target} contient déjà une base : déplacez-la (ou utilisez --force) avant de restaurer.`);
  }
  fs.mkdirSync(target, { recursive: true });
  const bytes = fs.readFileSync(file);
  const pglite = await PGlite.create(target, { loadDataDir: new Blob([bytes]) });
  await pglite.query("select 1");
  await pglite.close();
}

/**
 * A fingerprint of every table of the schema: row count and an md5 of all
 * rows in a stable order. Two databases with equal fingerprints hold the same data.
 */
export async function fingerprint(db: Db): Promise<Record<string, { rows: number; md5: string }>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const result: Record<string, { rows: number; md5: string }> = {};
  for (const { name } of tables.rows) {
    const row = await sql<{ rows: number; md5: string | null }>`
      select count(*)::int as rows, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as md5
      from ${sql.table(name)} t`.execute(db);
    result[name] = { rows: row.rows[0]!.rows, md5: row.rows[0]!.md5 ?? "" };
  }
  return result;
}
