import { unzipSync } from "fflate";
import { SaxesParser, type SaxesTagPlain } from "saxes";
import { PersonalDataDetector, type CellValue, type PersonalDataScan } from "~/domain/personal-data-scan";
import { formatBytes } from "~/domain/files";

/**
 * Reads what a workspace file says, for the personal-data detector
 * (convention Art. 4; docs/decisions/025-personal-data-scan.md):
 * spreadsheets (xlsx, ods) cell by cell, documents (docx, odt) and
 * presentations (pptx, odp) as tables and paragraphs, plain text and CSV line
 * by line. Bounded: at most `maxInflatedBytes` are inflated (the zip's
 * declared sizes cap every allocation) and `maxCells` cells read; beyond, the
 * result is « incomplete », which holds the version like a finding. PDFs,
 * images and legacy Office files are not read (null): the uploader's
 * confirmation covers them.
 */

export interface ScanLimits {
  maxInflatedBytes: number;
  maxCells: number;
  maxTextBytes: number;
}

export const SCAN_LIMITS: ScanLimits = { maxInflatedBytes: 32 * 1024 * 1024, maxCells: 500_000, maxTextBytes: 20 * 1000 * 1000 };

class Stop extends Error {}

type Kind = "xlsx" | "ods" | "odt" | "odp" | "docx" | "pptx" | "text";

const kinds: Record<string, Kind> = {
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
  "application/vnd.oasis.opendocument.presentation": "odp",
  "text/csv": "text",
  "text/plain": "text",
};

/** Scans a file of a known (sniffed) type; null when this type is not read. */
export function scanWorkspaceFile(contentType: string, bytes: Uint8Array, limits: ScanLimits = SCAN_LIMITS): PersonalDataScan | null {
  const kind = kinds[contentType];
  if (!kind) return null;
  const detector = new PersonalDataDetector();
  const budget = { cells: limits.maxCells };
  try {
    if (kind === "text") scanText(detector, bytes, limits);
    else {
      const entries = unzipBounded(bytes, kind, limits, detector);
      if (kind === "xlsx") scanXlsx(detector, entries, budget);
      else if (kind === "docx" || kind === "pptx") scanOoxmlText(detector, entries, kind, budget);
      else scanOdf(detector, entries, kind, budget);
    }
  } catch (error) {
    if (error instanceof Stop) detector.incomplete(`plus de ${limits.maxCells.toLocaleString("fr-FR")} cellules ou paragraphes ; seuls les premiers ont été analysés.`);
    else detector.incomplete("le fichier n'a pas pu être lu entièrement (archive ou XML mal formé).");
  }
  return detector.result();
}

/** Takes one cell (or paragraph) from the budget; stops the scan when it is spent. */
function spend(budget: { cells: number }) {
  if (--budget.cells < 0) throw new Stop();
}

function wanted(kind: Kind, name: string): boolean {
  switch (kind) {
    case "xlsx":
      return name === "xl/workbook.xml" || name === "xl/_rels/workbook.xml.rels" || name === "xl/sharedStrings.xml" || /^xl\/worksheets\/[^/]+\.xml$/.test(name);
    case "docx":
      return name === "word/document.xml";
    case "pptx":
      return /^ppt\/slides\/slide\d+\.xml$/.test(name);
    default:
      return name === "content.xml";
  }
}

/**
 * Inflates the entries the scan reads, in archive order, until their declared
 * sizes reach the bound (fflate allocates each entry's output at its declared
 * size and never writes past it, so a lying header cannot exceed the bound).
 */
function unzipBounded(bytes: Uint8Array, kind: Kind, limits: ScanLimits, detector: PersonalDataDetector): Map<string, string> {
  let total = 0;
  let skipped = false;
  const files = unzipSync(bytes, {
    filter: (file) => {
      if (!wanted(kind, file.name)) return false;
      if (total + file.originalSize > limits.maxInflatedBytes) {
        skipped = true;
        return false;
      }
      total += file.originalSize;
      return true;
    },
  });
  if (skipped) detector.incomplete(`le contenu décompressé dépasse ${formatBytes(limits.maxInflatedBytes)} ; seule une partie a été analysée.`);
  const decoder = new TextDecoder("utf-8");
  return new Map(Object.entries(files).map(([name, data]) => [name, decoder.decode(data)]));
}

function parse(xml: string, handlers: { open?: (tag: SaxesTagPlain) => void; close?: (name: string) => void; text?: (text: string) => void }) {
  const parser = new SaxesParser();
  if (handlers.open) parser.on("opentag", handlers.open as (tag: SaxesTagPlain) => void);
  if (handlers.close) {
    const close = handlers.close;
    parser.on("closetag", (tag) => close(tag.name));
  }
  if (handlers.text) parser.on("text", handlers.text);
  parser.on("error", (error) => {
    throw error;
  });
  parser.write(xml).close();
}

const CELL_REF = /^([A-Z]{1,3})(\d+)$/;
function columnIndex(letters: string): number {
  let n = 0;
  for (const c of letters) n = n * 26 + (c.charCodeAt(0) - 64);
  return n - 1;
}

function scanXlsx(detector: PersonalDataDetector, entries: Map<string, string>, budget: { cells: number }) {
  // Shared strings (without the phonetic runs).
  const shared: string[] = [];
  const sst = entries.get("xl/sharedStrings.xml");
  if (sst) {
    let current: string[] | null = null;
    let inT = false;
    let phonetic = 0;
    parse(sst, {
      open: (tag) => {
        if (tag.name === "si") current = [];
        else if (tag.name === "rPh") phonetic++;
        else if (tag.name === "t" && phonetic === 0) inT = true;
      },
      close: (name) => {
        if (name === "si") {
          shared.push((current ?? []).join(""));
          current = null;
        } else if (name === "rPh") phonetic--;
        else if (name === "t") inT = false;
      },
      text: (text) => {
        if (inT && current) current.push(text);
      },
    });
  }
  // Sheet names, through the workbook's relationships.
  const targets = new Map<string, string>();
  const rels = entries.get("xl/_rels/workbook.xml.rels");
  if (rels) {
    parse(rels, {
      open: (tag) => {
        if (tag.name === "Relationship") targets.set(tag.attributes.Id ?? "", (tag.attributes.Target ?? "").replace(/^\/?(xl\/)?/, "xl/"));
      },
    });
  }
  const names = new Map<string, string>();
  const workbook = entries.get("xl/workbook.xml");
  if (workbook) {
    parse(workbook, {
      open: (tag) => {
        if (tag.name === "sheet") {
          const target = targets.get(tag.attributes["r:id"] ?? "");
          if (target) names.set(target, tag.attributes.name ?? target);
        }
      },
    });
  }
  const sheets = [...entries.keys()].filter((n) => n.startsWith("xl/worksheets/")).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const path of sheets) {
    const container = `feuille « ${names.get(path) ?? path.replace(/^.*\//, "")} »`;
    let ref: string | undefined;
    let type: string | undefined;
    let nextColumn = 0;
    let row = 0;
    let value: string[] | null = null;
    let inText = false;
    parse(entries.get(path)!, {
      open: (tag) => {
        switch (tag.name) {
          case "row":
            row = tag.attributes.r ? Number(tag.attributes.r) - 1 : row + 1;
            nextColumn = 0;
            break;
          case "c":
            ref = tag.attributes.r;
            type = tag.attributes.t;
            value = null;
            break;
          case "v":
            value = [];
            inText = true;
            break;
          case "t":
            value ??= [];
            inText = true;
            break;
        }
      },
      close: (name) => {
        if (name === "v" || name === "t") inText = false;
        else if (name === "c") {
          const m = ref ? CELL_REF.exec(ref) : null;
          const column = m ? columnIndex(m[1]!) : nextColumn;
          const cellRow = m ? Number(m[2]) - 1 : row;
          nextColumn = column + 1;
          if (value === null) return;
          const raw = value.join("");
          if (raw === "") return;
          spend(budget);
          let cell: CellValue;
          if (type === "s") cell = { type: "text", text: shared[Number(raw)] ?? "" };
          else if (type === "inlineStr" || type === "str" || type === "e") cell = { type: "text", text: raw };
          else if (type === "d") cell = { type: "date", iso: raw };
          else if (type === "b") return;
          else cell = Number.isFinite(Number(raw)) ? { type: "number", number: Number(raw) } : { type: "text", text: raw };
          detector.cell(container, cellRow, column, cell);
        }
      },
      text: (text) => {
        if (inText && value) value.push(text);
      },
    });
  }
}

/** Word (w:) and PowerPoint (a:) bodies: tables cell by cell, other paragraphs line by line. */
function scanOoxmlText(detector: PersonalDataDetector, entries: Map<string, string>, kind: "docx" | "pptx", budget: { cells: number }) {
  const p = kind === "docx" ? "w" : "a";
  const paths = [...entries.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  let tableCount = 0;
  for (const path of paths) {
    const container = kind === "docx" ? "document" : `diapositive ${/(\d+)\.xml$/.exec(path)?.[1] ?? ""}`;
    walkDocument(detector, entries.get(path)!, budget, container, () => ++tableCount, {
      table: `${p}:tbl`,
      row: `${p}:tr`,
      cell: `${p}:tc`,
      paragraph: `${p}:p`,
      text: `${p}:t`,
      breaks: [`${p}:tab`, `${p}:br`, `${p}:cr`],
    });
  }
}

/** OpenDocument content (ods, odt, odp): tables cell by cell (repeats honoured), other paragraphs line by line. */
function scanOdf(detector: PersonalDataDetector, entries: Map<string, string>, kind: "ods" | "odt" | "odp", budget: { cells: number }) {
  const xml = entries.get("content.xml");
  if (!xml) return;
  let tableCount = 0;
  walkDocument(
    detector,
    xml,
    budget,
    kind === "odp" ? "présentation" : "document",
    (name) => (kind === "ods" ? `feuille « ${name} »` : ++tableCount),
    { table: "table:table", row: "table:table-row", cell: "table:table-cell", covered: "table:covered-table-cell", paragraph: "text:p", heading: "text:h", breaks: ["text:s", "text:tab", "text:line-break"] },
  );
}

interface DocumentTags {
  table: string;
  row: string;
  cell: string;
  covered?: string;
  paragraph: string;
  heading?: string;
  /** The element holding text runs (OOXML); absent: all text inside a paragraph counts (ODF). */
  text?: string;
  breaks: string[];
}

function walkDocument(
  detector: PersonalDataDetector,
  xml: string,
  budget: { cells: number },
  container: string,
  nameTable: (name: string) => number | string,
  tags: DocumentTags,
) {
  interface Table {
    label: string;
    row: number;
    column: number;
  }
  const tables: Table[] = [];
  let paragraphs = 0;
  let cellText: string[] | null = null;
  let cellValue: CellValue | null = null;
  let cellSpan = 1;
  let paragraph: string[] | null = null;
  let inRun = tags.text === undefined;
  let depthParagraph = 0;
  parse(xml, {
    open: (tag) => {
      const a = tag.attributes;
      if (tag.name === tags.table) {
        const named = nameTable(a["table:name"] ?? "");
        tables.push({ label: typeof named === "number" ? `tableau ${named}` : named, row: -1, column: 0 });
      } else if (tag.name === tags.row && tables.length) {
        const t = tables[tables.length - 1]!;
        t.row++;
        t.column = 0;
      } else if ((tag.name === tags.cell || tag.name === tags.covered) && tables.length) {
        cellText = [];
        cellSpan = Math.min(Number(a["table:number-columns-repeated"] ?? 1) || 1, 16384);
        const valueType = a["office:value-type"];
        cellValue =
          valueType === "date" && a["office:date-value"]
            ? { type: "date", iso: a["office:date-value"] }
            : (valueType === "float" || valueType === "percentage" || valueType === "currency") && a["office:value"]
              ? { type: "number", number: Number(a["office:value"]) }
              : null;
      } else if (tag.name === tags.paragraph || tag.name === tags.heading) {
        if (depthParagraph++ === 0) paragraph = [];
      } else if (tag.name === tags.text) inRun = true;
      else if (tags.breaks.includes(tag.name) && paragraph) paragraph.push(" ");
    },
    close: (name) => {
      if (name === tags.table) tables.pop();
      else if ((name === tags.cell || name === tags.covered) && tables.length && cellText) {
        const t = tables[tables.length - 1]!;
        const text = cellText.join("\n");
        const value = cellValue ?? (text.trim() ? ({ type: "text", text } as const) : null);
        if (value) {
          spend(budget);
          detector.cell(t.label, t.row, t.column, value);
        }
        t.column += cellSpan;
        cellText = null;
        cellValue = null;
      } else if (name === tags.paragraph || name === tags.heading) {
        if (--depthParagraph === 0 && paragraph) {
          const line = paragraph.join("");
          paragraph = null;
          if (!line.trim()) return;
          if (cellText) cellText.push(line);
          else {
            spend(budget);
            detector.text(container, `paragraphe ${++paragraphs}`, line);
          }
        }
      } else if (name === tags.text) inRun = false;
    },
    text: (text) => {
      if (paragraph && inRun) paragraph.push(text);
    },
  });
}

/** Plain text and CSV: line by line (a CSV's first line is its header: its fields are checked as column names). */
function scanText(detector: PersonalDataDetector, bytes: Uint8Array, limits: ScanLimits) {
  let data = bytes;
  if (data.byteLength > limits.maxTextBytes) {
    data = data.subarray(0, limits.maxTextBytes);
    detector.incomplete(`le texte dépasse ${formatBytes(limits.maxTextBytes)} ; seul le début a été analysé.`);
  }
  const text = new TextDecoder("utf-8").decode(data);
  const lines = text.split(/\r?\n/);
  const first = lines[0] ?? "";
  const separator = [";", "\t", ","].find((s) => first.includes(s));
  if (separator) {
    first.split(separator).forEach((field, column) => detector.cell("texte", 0, column, { type: "text", text: field.replace(/^"|"$/g, "") }));
  }
  for (let i = separator ? 1 : 0; i < lines.length; i++) {
    if (i > limits.maxCells) throw new Stop();
    detector.text("texte", `ligne ${i + 1}`, lines[i]!);
  }
}
