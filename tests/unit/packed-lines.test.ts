import { describe, expect, it } from "vitest";
import { LinePacker, PackedLinesView, packedPlanLines, packedTransferList, packLines, packPlanLines, unpackLines, type PackedColumn } from "~/server/collection/packed-lines";
import type { PlanLine } from "~/domain/validation";
import { lineKey } from "~/domain/template-layout";

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

  it("packs objects added one at a time as the whole array would be: same columns, same choices of dictionary or plain values", () => {
    // Fields decided at the sample (a key), at the end (a dictionary grown past half the objects), on a value that is not
    // a primitive or is -0 appearing after a dictionary was started, and dictionaries too large for 16-bit indexes.
    const shapes: [string, (i: number) => unknown][] = [
      ["key", (i) => `K${i}`],
      ["few", (i) => `v${i % 7}`],
      ["lateDistinct", (i) => (i < 300 ? "same" : `d${i}`)],
      ["lateObject", (i) => (i === 500 ? { nested: i } : i % 3)],
      ["lateMinusZero", (i) => (i === 400 ? -0 : i % 2)],
      ["wide", (i) => i % 70_000],
    ];
    const expectedColumn = (values: unknown[]): PackedColumn["kind"] => {
      // The rules of ADR 031's packer, stated on the whole column.
      const n = values.length;
      const sampled = Math.min(n, 256);
      if (sampled >= 64 && new Set(values.slice(0, sampled)).size > sampled / 2) return "plain";
      if (values.some((v) => !(v === null || ["string", "number", "boolean"].includes(typeof v)) || Object.is(v, -0))) return "plain";
      return new Set(values).size > Math.max(16, n / 2) ? "plain" : "dict";
    };
    for (const count of [0, 10, 63, 64, 100, 256, 1_000, 150_000]) {
      const items = Array.from({ length: count }, (_, i) => Object.fromEntries(shapes.map(([field, value]) => [field, value(i)])));
      const packer = new LinePacker<Record<string, unknown>>();
      for (const item of items) packer.add(item);
      const packed = packer.finish();
      expect(packed.count).toBe(count);
      for (const [f, field] of packed.fields.entries()) {
        expect([count, field, packed.columns[f]!.kind]).toEqual([count, field, expectedColumn(items.map((item) => item[field]))]);
      }
      const wide = packed.columns[packed.fields.indexOf("wide")];
      if (wide?.kind === "dict") expect(wide.index).toBeInstanceOf(new Set(items.map((i) => i.wide)).size > 0xffff ? Uint32Array : Uint16Array);
      const back = unpackLines<Record<string, unknown>>(trip(packed, packedTransferList(packed)));
      expect(back).toEqual(items);
      if (count > 400) expect(Object.is(back[400]!.lateMinusZero, -0)).toBe(true);
    }
  });

  it("copies each object's values as it is added, keeping no reference to the object (the caller can drop it at once)", () => {
    const packer = new LinePacker<PlanLine>();
    const lines = Array.from({ length: 300 }, (_, i) => line(i));
    const copies = lines.map((l) => ({ ...l }));
    for (const l of lines) {
      packer.add(l);
      // What the caller does with an object after adding it must not reach the packed lines.
      l.key = "changed";
      l.indicatorLabel = "changed";
      l.previous = -1;
    }
    expect(unpackLines<PlanLine>(packer.finish())).toEqual(copies);
  });

  it("ADR 058: a view of the packed lines gives, place by place, the unpacked line, a new object each time, and nothing outside the plan", () => {
    const lines = Array.from({ length: 1_500 }, (_, i) => line(i));
    const packed = trip(packLines(lines), []);
    const view = new PackedLinesView<PlanLine>(packed);
    const unpacked = unpackLines<PlanLine>(packed);
    expect(view.length).toBe(1_500);
    for (let i = 0; i < lines.length; i++) expect(view.at(i)).toEqual(unpacked[i]);
    expect(Object.keys(view.at(7)!)).toEqual(Object.keys(lines[7]!));
    // As Array.prototype.at: a negative place counts from the end; past either end there is no line.
    expect(view.at(-1)).toEqual(lines[1_499]);
    expect(view.at(1_500)).toBeUndefined();
    expect(view.at(-1_501)).toBeUndefined();
    // Each call builds its own object: changing one changes neither the columns nor the next call's.
    const first = view.at(3)!;
    first.unit = "changé";
    expect(view.at(3)!.unit).toBe(lines[3]!.unit);
    expect(view.at(3)).not.toBe(view.at(3));
  });

  it("ADR 058: a plan packed without its keys gives its lines back, each key made again from the indicator and the breakdown", () => {
    const lines = Array.from({ length: 600 }, (_, i) => line(i, { key: lineKey(`IND${Math.floor(i / 25)}`, i % 25 === 0 ? "" : `sexe=${i % 2}|age=${i % 12}`) }));
    const packed = packPlanLines(lines);
    expect(packed.fields).toEqual(Object.keys(lines[0]!).filter((f) => f !== "key"));
    const viewed = packedPlanLines(trip(packed, packedTransferList(packed)));
    expect(viewed.length).toBe(600);
    for (let i = 0; i < lines.length; i++) expect(viewed.at(i)).toEqual(lines[i]);
    expect(viewed.at(600)).toBeUndefined();
    // Lines packed with their keys are refused rather than having them silently replaced.
    expect(() => packedPlanLines(packLines(lines))).toThrow(/planLinePacker/);
  });
});
