import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { useTestDb } from "../support/db";

const t = useTestDb();

describe("bytea round trip on both drivers (ADR 021: PGlite's per-byte serializer replaced)", () => {
  it("a 1 MiB file, an empty one and every byte value come back identical, as Buffers", async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const big = randomBytes(1024 * 1024);
    for (const bytes of [every, big, Buffer.alloc(0)]) {
      const { rows } = await sql<{ b: Buffer; n: number }>`select ${bytes}::bytea as b, length(${bytes}::bytea) as n`.execute(t.db);
      expect(rows[0]!.n).toBe(bytes.length);
      expect(Buffer.isBuffer(rows[0]!.b)).toBe(true);
      expect(Buffer.compare(rows[0]!.b, bytes)).toBe(0);
    }
  });
});
