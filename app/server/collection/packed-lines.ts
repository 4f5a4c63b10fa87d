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

/** Packs objects of one shape (the first object's fields). */
export function packLines<T extends object>(items: readonly T[]): PackedLines {
  const count = items.length;
  const fields = count ? Object.keys(items[0]!) : [];
  const plain = (field: string): PackedColumn => ({ kind: "plain", values: items.map((item) => (item as Record<string, unknown>)[field]) });
  const columns = fields.map((field): PackedColumn => {
    // A first look at a sample: a field mostly distinct there (a key) goes plain without building a dictionary.
    const sample = new Set<unknown>();
    const sampled = Math.min(count, 256);
    for (let i = 0; i < sampled; i++) sample.add((items[i] as Record<string, unknown>)[field]);
    if (sampled >= 64 && sample.size > sampled * DICT_SHARE) return plain(field);
    const seen = new Map<Primitive, number>();
    const dict: Primitive[] = [];
    const index = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const value = (items[i] as Record<string, unknown>)[field];
      if (!dictionaryable(value)) return plain(field);
      let at = seen.get(value);
      if (at === undefined) {
        at = dict.length;
        dict.push(value);
        seen.set(value, at);
        if (dict.length > Math.max(16, count * DICT_SHARE)) return plain(field);
      }
      index[i] = at;
    }
    return { kind: "dict", dict, index: dict.length <= 0xffff ? Uint16Array.from(index) : index };
  });
  return { count, fields, columns };
}

/** The typed arrays of a packed set: pass them as the transfer list (they leave the sender's memory instead of being copied). */
export function packedTransferList(packed: PackedLines): ArrayBuffer[] {
  return packed.columns.flatMap((c) => (c.kind === "dict" ? [c.index.buffer as ArrayBuffer] : []));
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
