/**
 * Objects of one shape (the plan's lines, ~100,000 of them at most) as
 * columns, for a trip to a worker thread (ADR 031). A structured clone of the
 * objects copies every string of every object — an indicator's label, unit
 * and version id once per breakdown cell — and the worker then holds those
 * copies. Packed, a field with few distinct values travels as its
 * dictionary and a typed array of indexes (transferred, not copied), and the
 * unpacked objects share one string per distinct value.
 *
 * Generic over the objects' fields: a field added to PlanLine travels
 * without any change here. Values must be primitives (string, number,
 * boolean, null); a field holding anything else travels as a plain column.
 */

import { lineKey } from "~/domain/template-layout";
import type { PlanLine, PlanLines } from "~/domain/validation";

type Primitive = string | number | boolean | null;

export type PackedColumn =
  /** Distinct values, and each object's index into them. */
  | { kind: "dict"; dict: Primitive[]; index: Uint16Array | Uint32Array }
  /** One value per object (mostly distinct values, or not primitives). */
  | { kind: "plain"; values: unknown[] };

export interface PackedLines {
  count: number;
  /** Field names, in the objects' own order (so that unpacked objects share one shape). */
  fields: string[];
  columns: PackedColumn[];
}

const isPrimitive = (v: unknown): v is Primitive => v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
/** -0 would come back as 0 from a dictionary (Map keys compare by SameValueZero): such a column stays plain. */
const dictionaryable = (v: unknown): v is Primitive => isPrimitive(v) && !Object.is(v, -0);

/** A field whose distinct values are at most this share of the objects goes as a dictionary. */
const DICT_SHARE = 0.5;

/** Fields whose first values are sampled before a dictionary is built; a field mostly distinct there goes plain. */
const SAMPLE_SIZE = 256;
const MIN_SAMPLE = 64;

/** One field being packed: a dictionary with its indexes while it pays, else the plain values. */
class ColumnPacker {
  private seen: Map<Primitive, number> | null = new Map();
  private dict: Primitive[] = [];
  private index = new Uint32Array(1024);
  private values: unknown[] | null = null;
  private count = 0;

  add(value: unknown) {
    const i = this.count++;
    if (this.values) {
      this.values.push(value);
      return;
    }
    if (!dictionaryable(value)) {
      this.toPlain(i);
      this.values!.push(value);
      return;
    }
    let at = this.seen!.get(value);
    if (at === undefined) {
      at = this.dict.length;
      this.dict.push(value);
      this.seen!.set(value, at);
    }
    if (i >= this.index.length) {
      const grown = new Uint32Array(this.index.length * 2);
      grown.set(this.index);
      this.index = grown;
    }
    this.index[i] = at;
    // A first look at a sample: a field mostly distinct there (a key) goes plain, its dictionary dropped.
    if (this.count === SAMPLE_SIZE) this.checkSample();
  }

  finish(): PackedColumn {
    if (!this.values && this.count < SAMPLE_SIZE) this.checkSample();
    if (!this.values && this.dict.length > Math.max(16, this.count * DICT_SHARE)) this.toPlain(this.count);
    if (this.values) return { kind: "plain", values: this.values };
    const dict = this.dict;
    const index = this.index.subarray(0, this.count);
    return { kind: "dict", dict, index: dict.length <= 0xffff ? Uint16Array.from(index) : Uint32Array.from(index) };
  }

  private checkSample() {
    const sampled = Math.min(this.count, SAMPLE_SIZE);
    if (sampled < MIN_SAMPLE) return;
    const sample = new Set<number>();
    for (let i = 0; i < sampled; i++) sample.add(this.index[i]!);
    if (sample.size > sampled * DICT_SHARE) this.toPlain(this.count);
  }

  /** The first `n` values again, from the dictionary, as plain values; the dictionary is dropped. */
  private toPlain(n: number) {
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) values[i] = this.dict[this.index[i]!];
    this.values = values;
    this.seen = null;
    this.dict = [];
    this.index = new Uint32Array(0);
  }
}

/**
 * Packs objects of one shape (the first object's fields) as they come: each
 * object can be dropped once added, so that a caller building ~100,000 of
 * them (the plan's lines) never holds them all at once — only the columns.
 * `packLines` of the same objects gives the same result.
 */
export class LinePacker<T extends object> {
  private fields: string[] | null = null;
  private columns: ColumnPacker[] = [];
  private count = 0;

  /** `omit`: fields left out of the columns (one the reader can make again from the others). */
  constructor(private readonly options: { omit?: readonly (keyof T & string)[] } = {}) {}

  add(item: T) {
    if (!this.fields) {
      const omit = this.options.omit ?? [];
      this.fields = Object.keys(item).filter((field) => !omit.includes(field as keyof T & string));
      this.columns = this.fields.map(() => new ColumnPacker());
    }
    const record = item as Record<string, unknown>;
    for (let f = 0; f < this.fields.length; f++) this.columns[f]!.add(record[this.fields[f]!]);
    this.count += 1;
  }

  finish(): PackedLines {
    return { count: this.count, fields: this.fields ?? [], columns: this.columns.map((c) => c.finish()) };
  }
}

/** Packs objects of one shape (the first object's fields). */
export function packLines<T extends object>(items: readonly T[]): PackedLines {
  const packer = new LinePacker<T>();
  for (const item of items) packer.add(item);
  return packer.finish();
}

/** The typed arrays of a packed set: pass them as the transfer list (they leave the sender's memory instead of being copied). */
export function packedTransferList(packed: PackedLines): ArrayBuffer[] {
  return packed.columns.flatMap((c) => (c.kind === "dict" ? [c.index.buffer as ArrayBuffer] : []));
}

/**
 * The packed objects by place, each one built when asked and not kept
 * (ADR 058): a worker validating ~100,000 plan lines holds their columns —
 * typed arrays of indexes and one string per distinct value — rather than
 * 100,000 objects of 14 properties (17 MiB of its heap at line 80,000, stop
 * 31's heap snapshot). `at(i)` equals `unpackLines(packed)[i]` field by field
 * (a negative `i` counts from the end, as `Array.prototype.at`); each call
 * gives a new object.
 */
export class PackedLinesView<T> {
  readonly length: number;
  private readonly fields: string[];
  private readonly columns: PackedColumn[];

  constructor(packed: PackedLines) {
    this.length = packed.count;
    this.fields = packed.fields;
    this.columns = packed.columns;
  }

  at(index: number): T | undefined {
    const i = Math.trunc(index) < 0 ? Math.trunc(index) + this.length : Math.trunc(index);
    if (!(i >= 0 && i < this.length)) return undefined;
    const { fields, columns } = this;
    const out: Record<string, unknown> = {};
    for (let f = 0; f < fields.length; f++) {
      const column = columns[f]!;
      out[fields[f]!] = column.kind === "dict" ? column.dict[column.index[i]!] : column.values[i];
    }
    return out as T;
  }
}

/**
 * A packer for a collection plan's lines that leaves their key out (ADR 058): each is its indicator's code and
 * its breakdown's key joined (lineKey), which packedPlanLines makes again.
 */
export function planLinePacker(): LinePacker<PlanLine> {
  return new LinePacker<PlanLine>({ omit: ["key"] });
}

/** A collection plan's lines packed by planLinePacker. */
export function packPlanLines(lines: Iterable<PlanLine>): PackedLines {
  const packer = planLinePacker();
  for (const line of lines) packer.add(line);
  return packer.finish();
}

/**
 * A collection plan's lines packed by planLinePacker, by place: each line is built when asked, its key made
 * again from its indicator and breakdown (lineKey), as the plan makes it. Lines packed with their key are
 * refused: their key would be silently replaced.
 */
export function packedPlanLines(packed: PackedLines): PlanLines {
  if (packed.fields.includes("key")) throw new Error("packedPlanLines: the plan's lines were packed with their keys (pack them with planLinePacker)");
  const view = new PackedLinesView<Omit<PlanLine, "key"> & { key?: string }>(packed);
  return {
    length: view.length,
    at(index) {
      const line = view.at(index);
      if (!line) return undefined;
      line.key = lineKey(line.indicatorCode, line.breakdownKey);
      return line as PlanLine;
    },
  };
}

/** The objects again, equal field by field to the packed ones; equal values share one string. */
export function unpackLines<T>(packed: PackedLines): T[] {
  const { count, fields, columns } = packed;
  // Each object starts as a copy of one template holding every field, so that all share one shape
  // and filling them in changes no shape.
  const template: Record<string, unknown> = {};
  for (const field of fields) template[field] = null;
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = { ...template } as T;
  for (let f = 0; f < fields.length; f++) {
    const field = fields[f]!;
    const column = columns[f]!;
    if (column.kind === "dict") {
      const { dict, index } = column;
      for (let i = 0; i < count; i++) (out[i] as Record<string, unknown>)[field] = dict[index[i]!];
    } else {
      const { values } = column;
      for (let i = 0; i < count; i++) (out[i] as Record<string, unknown>)[field] = values[i];
    }
  }
  return out;
}
