import { describe, expect, it } from "vitest";
import { packedTransferList, packLines, unpackLines } from "~/server/collection/packed-lines";
import type { PlanLine } from "~/domain/validation";

const line = (i: number, over: Partial<PlanLine> = {}): PlanLine => ({
  key: `IND${Math.floor(i / 25)}#${i % 25}`,
  indicatorCode: `IND${Math.floor(i / 25)}`,
  indicatorLabel: `Indicateur ${Math.floor(i / 25)} — « libellé »`,
  indicatorVersionId: `00000000-0000-4000-8000-${String(Math.floor(i / 25)).padStart(12, "0")}`,
  breakdownKey: i % 25 === 0 ? "" : `sexe=${i % 2}|age=${i % 12}`,
  breakdownLabel: i % 25 === 0 ? "Total" : `Sexe ${i % 2} × Âge ${i % 12}`,
  unit: "personnes",
  valueType: i % 3 ? "integer" : "decimal",
  nonNegative: i % 2 === 0,
  min: i % 7 ? null : -1.5,
  max: null,
  sumEqualsTotal: true,
  previous: i % 5 ? i * 1.25 : null,
  notAvailableAllowed: i % 4 === 0,
  ...over,
});

/** A structured clone, as a trip to a worker thread makes (typed arrays transferred). */
const trip = <T>(value: T, transfer: ArrayBuffer[]): T => structuredClone(value, { transfer });

describe("packed plan lines (ADR 031: the plan travels to the worker as columns)", () => {
  it("gives back objects equal to the packed ones, field by field and in field order", () => {
    const lines = Array.from({ length: 2_000 }, (_, i) => line(i));
    const packed = packLines(lines);
    const back = unpackLines<PlanLine>(trip(packed, packedTransferList(packed)));
    expect(back).toEqual(lines);
    expect(back.map((l) => Object.keys(l))).toEqual(lines.map((l) => Object.keys(l)));
  });

  it("sends a field with few distinct values as a dictionary and indexes, a mostly distinct one as plain values", () => {
    const packed = packLines(Array.from({ length: 1_000 }, (_, i) => line(i)));
    const column = (field: keyof PlanLine) => packed.columns[packed.fields.indexOf(field)]!;
    expect(column("indicatorLabel")).toMatchObject({ kind: "dict" });
    expect(column("unit").kind === "dict" && column("unit")).toMatchObject({ dict: ["personnes"] });
    expect(column("key")).toMatchObject({ kind: "plain" });
  });

  it("moves the indexes instead of copying them: the sender's typed arrays are emptied", () => {
    const packed = packLines(Array.from({ length: 100 }, (_, i) => line(i)));
    const transfer = packedTransferList(packed);
    expect(transfer.length).toBeGreaterThan(0);
    trip(packed, transfer);
    expect(transfer.every((buffer) => buffer.byteLength === 0)).toBe(true);
  });

  it("keeps -0, null and a field that is not a primitive as they were", () => {
    const lines = [line(0, { previous: -0 }), line(1, { min: null }), { ...line(2), extra: { nested: [1, 2] } } as PlanLine];
    lines[0] = { ...lines[0]!, extra: null } as PlanLine;
    lines[1] = { ...lines[1]!, extra: "x" } as PlanLine;
    const packed = packLines(lines);
    const back = unpackLines<PlanLine>(trip(packed, packedTransferList(packed)));
    expect(Object.is(back[0]!.previous, -0)).toBe(true);
    expect(back[1]!.min).toBeNull();
    expect(back).toEqual(lines);
  });

  it("packs nothing into nothing", () => {
    expect(unpackLines(packLines([]))).toEqual([]);
  });
});
