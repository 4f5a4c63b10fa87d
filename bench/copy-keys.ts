/**
 * Experiment (ADR 046): the cost of submission_value's foreign keys during an
 * upload's COPY. 100k rows into a table shaped like submission_value, on
 * PGlite (COPY FROM '/dev/blob' in batches) and on PostgreSQL (COPY FROM
 * STDIN), with: the two row-level foreign keys (as today), none, or one
 * statement-level AFTER INSERT trigger checking the new rows' parents
 * through a transition table. Variants alternate; each in a rolled-back
 * transaction. `npx tsx bench/copy-keys.ts [--pg] [--runs N]`
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

const args = process.argv.slice(2);
const usePg = args.includes("--pg");
const runs = Number(args[args.indexOf("--runs") + 1] || 3) || 3;
const perStatement = args.includes("--chunks") ? Number(args[args.indexOf("--chunks") + 1]) : 8;
const ROWS = 100_000;
const INDICATORS = 4_000;

type Exec = (text: string) => Promise<void>;
type Copy = (chunks: string[]) => Promise<void>;

const schema = (variant: string) => `
  drop table if exists xv; drop table if exists xsv; drop table if exists xiv;
  create table xiv (id uuid primary key);
  create table xsv (id uuid primary key);
  create table xv (
    version_id uuid not null ${variant === "fk" ? "references xsv(id)" : ""},
    indicator_version_id uuid not null ${variant === "fk" ? "references xiv(id)" : ""},
    breakdown_key text not null default '',
    value double precision,
    cell_ref text not null,
    not_available_code text check (not_available_code in ('ND','NC')),
    not_available_reason text check (length(not_available_reason) between 1 and 500),
    primary key (version_id, indicator_version_id, breakdown_key));
  ${variant === "stmt" ? `
  create or replace function xv_keys() returns trigger language plpgsql as $$
  begin
    if exists (select 1 from new_rows n where not exists (select 1 from xsv p where p.id = n.version_id)
                                         or not exists (select 1 from xiv p where p.id = n.indicator_version_id)) then
      raise exception 'missing parent' using errcode = '23503';
    end if;
    return null;
  end $$;
  create trigger xv_keys after insert on xv referencing new table as new_rows for each statement execute function xv_keys();` : ""}
  ${variant === "stmt-distinct" ? `
  create or replace function xv_keys() returns trigger language plpgsql as $$
  begin
    if exists (select 1 from (select distinct version_id from new_rows) n where not exists (select 1 from xsv p where p.id = n.version_id))
       or exists (select 1 from (select distinct indicator_version_id from new_rows) n where not exists (select 1 from xiv p where p.id = n.indicator_version_id)) then
      raise exception 'missing parent' using errcode = '23503';
    end if;
    return null;
  end $$;
  create trigger xv_keys after insert on xv referencing new table as new_rows for each statement execute function xv_keys();` : ""}
`;

const ivs = Array.from({ length: INDICATORS }, () => randomUUID());
const versionId = randomUUID();
const chunks: string[] = [];
{
  let cur = "";
  for (let i = 0; i < ROWS; i++) {
    const iv = ivs[Math.floor(i / 25)]!;
    const key = i % 25 === 0 ? "" : `SEXE=${i % 2 ? "F" : "M"}|AGE=A${String(i % 25).padStart(2, "0")}`;
    cur += `${versionId}\t${iv}\t${key}\t${i * 1.5}\tD${i + 10}\t\\N\t\\N\n`;
    if ((i + 1) % 250 === 0) { chunks.push(cur); cur = ""; }
  }
  if (cur) chunks.push(cur);
}

async function main() {
  let exec: Exec, copy: Copy, close: () => Promise<void>;
  if (usePg) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test" });
    await client.connect();
    await client.query("create schema if not exists copy_keys_exp; set search_path = copy_keys_exp");
    exec = async (t) => { await client.query(t); };
    copy = async (c) => { const s = client.query(copyFrom("COPY xv FROM STDIN")); await pipeline(Readable.from(c, { objectMode: false }), s); };
    close = async () => { await client.query("drop schema copy_keys_exp cascade"); await client.end(); };
  } else {
    const db = new PGlite();
    exec = async (t) => { await db.exec(t); };
    // As bulk-copy.server.ts: ~15 ms batches; here a fixed number of 250-row chunks per statement (--chunks, default 8).
    copy = async (c) => { for (let i = 0; i < c.length; i += perStatement) await db.query("COPY xv FROM '/dev/blob'", [], { blob: new Blob(c.slice(i, i + perStatement)) }); };
    close = async () => { await db.close(); };
  }
  const variants = ["fk", "none", "stmt", "stmt-distinct"];
  const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      await exec(schema(v));
      await exec(`insert into xiv select unnest(array[${ivs.map((id) => `'${id}'`).join(",")}]::uuid[]); insert into xsv values ('${versionId}'); checkpoint;`);
      await exec("begin");
      const t0 = performance.now();
      await copy(chunks);
      const t1 = performance.now();
      await exec("rollback");
      times[v]!.push(t1 - t0);
      console.log(`${usePg ? "pg" : "pglite"} run ${r + 1} ${v}: ${(t1 - t0).toFixed(0)} ms`);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  for (const v of variants) console.log(`${usePg ? "pg" : "pglite"} ${v}: median ${med(times[v]!).toFixed(0)} ms (${times[v]!.map((t) => t.toFixed(0)).join(", ")})`);
  await close();
}
await main();
