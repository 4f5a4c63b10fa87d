import { SaxesParser, type SaxesTagNS } from "saxes";

/**
 * The small XML parts that say what an OOXML package is and where its sheets
 * are: [Content_Types].xml, relationships (`*.rels`) and xl/workbook.xml.
 * Parsed with saxes (a conforming, non-validating parser that never expands
 * DTD entities) after the guard has already refused any DTD. Element and
 * attribute names are matched by local name, so both Transitional and Strict
 * OOXML namespaces work.
 */

/** A problem with the package structure; `reason` is French, for the user. */
export class OoxmlStructureError extends Error {
  constructor(
    readonly reason: string,
    readonly part: string,
  ) {
    super(`${part}: ${reason}`);
    this.name = "OoxmlStructureError";
  }
}

function parseXml(xml: string, part: string, onOpen: (tag: SaxesTagNS) => void): void {
  const parser = new SaxesParser({ xmlns: true, position: false });
  parser.on("error", (error) => {
    throw new OoxmlStructureError(`XML mal formé (${error.message.slice(0, 120)})`, part);
  });
  parser.on("doctype", () => {
    throw new OoxmlStructureError("déclaration DTD", part);
  });
  parser.on("opentag", onOpen);
  parser.write(xml).close();
}

const attr = (tag: SaxesTagNS, local: string): string | undefined => {
  for (const a of Object.values(tag.attributes)) if (a.local === local && a.prefix === "") return a.value;
  return undefined;
};

/** The relationship id attribute (`r:id`), whatever its prefix. */
const relationshipIdAttr = (tag: SaxesTagNS): string | undefined => {
  for (const a of Object.values(tag.attributes)) if (a.local === "id" && a.prefix !== "" && /relationships$/.test(a.uri)) return a.value;
  return undefined;
};

/** A zip entry name as the key of lookups: OPC part names are ASCII case-insensitive. */
export const partKey = (name: string) => name.replace(/^\//, "").toLowerCase();

export interface ContentTypes {
  /** The content type of a part (zip entry name), by override, else by extension default. */
  typeOf(part: string): string | undefined;
  /** Every content type declared, defaults and overrides. */
  all(): string[];
}

export function parseContentTypes(xml: string, part = "[Content_Types].xml"): ContentTypes {
  const defaults = new Map<string, string>();
  const overrides = new Map<string, string>();
  let root: string | null = null;
  parseXml(xml, part, (tag) => {
    root ??= tag.local;
    if (tag.local === "Default") {
      const ext = attr(tag, "Extension");
      const type = attr(tag, "ContentType");
      if (ext && type) defaults.set(ext.toLowerCase(), type.trim());
    } else if (tag.local === "Override") {
      const name = attr(tag, "PartName");
      const type = attr(tag, "ContentType");
      if (name && type) overrides.set(partKey(name), type.trim());
    }
  });
  if (root !== "Types") throw new OoxmlStructureError("liste des types de contenu invalide", part);
  return {
    typeOf(name: string) {
      const key = partKey(name);
      const override = overrides.get(key);
      if (override) return override;
      const dot = key.lastIndexOf(".");
      return dot >= 0 ? defaults.get(key.slice(dot + 1)) : undefined;
    },
    all: () => [...defaults.values(), ...overrides.values()],
  };
}

export interface Relationship {
  id: string;
  type: string;
  /** The target as a zip entry name (no leading slash), or null when external or outside the package. */
  target: string | null;
  external: boolean;
}

/** `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`; the package itself (`""`) → `_rels/.rels`. */
export function relationshipsPartOf(source: string): string {
  const slash = source.lastIndexOf("/");
  return `${source.slice(0, slash + 1)}_rels/${source.slice(slash + 1)}.rels`;
}

/** Resolves a relationship target against its source part, as OPC says; null when it leaves the package. */
export function resolveTarget(source: string, target: string): string | null {
  let t = target.split("#")[0] ?? "";
  try {
    t = decodeURIComponent(t);
  } catch {
    return null;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(t)) return null; // an absolute URI
  const segments = t.startsWith("/") ? [] : source.split("/").slice(0, -1);
  for (const segment of t.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.length ? segments.join("/") : null;
}

export function parseRelationships(xml: string, part: string, source: string): Relationship[] {
  const rels: Relationship[] = [];
  let root: string | null = null;
  parseXml(xml, part, (tag) => {
    root ??= tag.local;
    if (tag.local !== "Relationship") return;
    const id = attr(tag, "Id");
    const type = attr(tag, "Type");
    const target = attr(tag, "Target");
    if (!id || !type || target === undefined) throw new OoxmlStructureError("relation incomplète", part);
    const external = (attr(tag, "TargetMode") ?? "Internal") === "External";
    rels.push({ id, type, target: external ? null : resolveTarget(source, target), external });
  });
  if (root !== "Relationships") throw new OoxmlStructureError("liste de relations invalide", part);
  return rels;
}

export type SheetState = "visible" | "hidden" | "veryHidden";

export interface WorkbookSheetEntry {
  name: string;
  sheetId: number;
  state: SheetState;
  relationshipId: string;
}

export interface WorkbookXml {
  /** The sheets in tab order, at most `maxSheets + 1` of them kept. */
  sheets: WorkbookSheetEntry[];
  /** How many `<sheet>` elements the workbook lists. */
  sheetCount: number;
  date1904: boolean;
}

export function parseWorkbookXml(xml: string, part: string, maxSheets: number): WorkbookXml {
  const sheets: WorkbookSheetEntry[] = [];
  let sheetCount = 0;
  let date1904 = false;
  let root: string | null = null;
  parseXml(xml, part, (tag) => {
    root ??= tag.local;
    if (tag.local === "workbookPr") {
      const v = attr(tag, "date1904");
      date1904 = v === "1" || v === "true";
    } else if (tag.local === "sheet") {
      sheetCount += 1;
      if (sheets.length > maxSheets) return;
      const name = attr(tag, "name");
      const relationshipId = relationshipIdAttr(tag);
      const sheetId = Number.parseInt(attr(tag, "sheetId") ?? "", 10);
      if (!name || !relationshipId) throw new OoxmlStructureError("feuille sans nom ou sans contenu", part);
      const state = attr(tag, "state") ?? "visible";
      sheets.push({
        name,
        sheetId: Number.isFinite(sheetId) ? sheetId : sheets.length + 1,
        state: state === "hidden" || state === "veryHidden" ? state : "visible",
        relationshipId,
      });
    }
  });
  if (root !== "workbook") throw new OoxmlStructureError("partie principale du classeur invalide", part);
  return { sheets, sheetCount, date1904 };
}

/** Content types of the workbook's main part. */
export const MAIN_PART_TYPES = {
  workbook: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
  template: "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
  macroWorkbook: "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
  macroTemplate: "application/vnd.ms-excel.template.macroEnabled.main+xml",
  addin: "application/vnd.ms-excel.addin.macroEnabled.main+xml",
} as const;

/** A content type that carries executable content (VBA, Excel 4.0 macro sheets, ActiveX). */
export function isActiveContentType(type: string): "vba_project" | "macro_sheet" | "activex" | "macro_content_type" | null {
  const t = type.toLowerCase();
  if (t.includes("vbaproject")) return "vba_project";
  if (t.includes("macrosheet")) return "macro_sheet";
  if (t.includes("activex")) return "activex";
  if (t.includes("macroenabled")) return "macro_content_type";
  return null;
}

/** The kind of sheet a workbook relationship points to, by its type URI (Transitional or Strict). */
export function sheetKindOf(relationshipType: string): "worksheet" | "chartsheet" | "dialogsheet" | "macrosheet" | null {
  const local = relationshipType.slice(relationshipType.lastIndexOf("/") + 1);
  switch (local) {
    case "worksheet":
      return "worksheet";
    case "chartsheet":
      return "chartsheet";
    case "dialogsheet":
      return "dialogsheet";
    case "xlMacrosheet":
    case "xlIntlMacrosheet":
      return "macrosheet";
    default:
      return null;
  }
}

export const relationshipTypeIs = (type: string, local: string) => type.slice(type.lastIndexOf("/") + 1) === local;
