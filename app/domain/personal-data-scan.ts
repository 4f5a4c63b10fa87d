/**
 * Convention Art. 4: only anonymised data are shared in the workspace. This
 * pure detector looks for *obvious* personal data in what an extractor reads
 * out of a file (spreadsheet cells, document tables and lines): column
 * headers naming a person's identity (nom, prénom, date de naissance, NIR,
 * adresse, téléphone, courriel…), social security numbers (NIR, key checked
 * modulo 97), e-mail addresses, French phone numbers, and dates in a column
 * headed like a date of birth. Each finding carries a French explanation
 * naming where it is; values are always masked, never echoed whole.
 * It is a safety net, not a guarantee: the uploader's confirmation is the
 * rule (docs/decisions/025-personal-data-scan.md).
 */

export type PersonalHeaderKind =
  | "nom"
  | "prénom"
  | "nom de naissance"
  | "date de naissance"
  | "lieu de naissance"
  | "NIR"
  | "adresse"
  | "téléphone"
  | "courriel";

export type FindingKind = "header" | "nir" | "email" | "phone" | "birth_date" | "incomplete";

export interface PersonalDataFinding {
  kind: FindingKind;
  /** Where, in French: « feuille « Enfants », colonne C », « paragraphe 12 »… */
  location: string;
  /** How many values of this kind were found there. */
  count: number;
  /** The French explanation shown to the uploader and the referent (values masked). */
  explanation: string;
}

export interface PersonalDataScan {
  /** `held`: something was found, or the analysis could not be completed. */
  status: "clean" | "held";
  /** False when the file could not be read whole (bounds, unreadable part). */
  complete: boolean;
  findings: PersonalDataFinding[];
}

/** Lower case, accents stripped, punctuation as spaces, spaces collapsed. */
export function normaliseLabel(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

const headerNames: Record<PersonalHeaderKind, readonly string[]> = {
  nom: [
    "nom",
    "noms",
    "nom de famille",
    "nom d usage",
    "nom usuel",
    "nom patronymique",
    "nom de l enfant",
    "nom du mineur",
    "nom du jeune",
    "nom prenom",
    "nom prenoms",
    "nom et prenom",
    "nom et prenoms",
    "prenom nom",
    "nom complet",
    "identite",
  ],
  prénom: ["prenom", "prenoms", "prenom de l enfant", "prenom du mineur", "prenom usuel"],
  "nom de naissance": ["nom de naissance", "nom de jeune fille"],
  "date de naissance": ["date de naissance", "date naissance", "date de naiss", "date naiss", "ddn", "ne le", "nee le", "ne e le", "jour de naissance"],
  "lieu de naissance": ["lieu de naissance", "commune de naissance", "ville de naissance"],
  NIR: [
    "nir",
    "numero nir",
    "n nir",
    "securite sociale",
    "numero de securite sociale",
    "n de securite sociale",
    "no de securite sociale",
    "n securite sociale",
    "no securite sociale",
    "num securite sociale",
    "n secu",
    "no secu",
    "num secu",
    "numero secu",
    "n de secu",
    "numero ss",
    "n ss",
    "nss",
    "numero d inscription au repertoire",
  ],
  adresse: ["adresse", "adresse postale", "adresse du domicile", "adresse domicile", "domicile", "adresse de l enfant", "adresse des parents"],
  téléphone: ["telephone", "tel", "n tel", "n de tel", "n de telephone", "numero de telephone", "telephone portable", "telephone fixe", "portable", "mobile"],
  courriel: ["courriel", "mel", "mail", "e mail", "email", "adresse mail", "adresse e mail", "adresse email", "adresse electronique", "adresse de courriel"],
};

const headerIndex = new Map<string, PersonalHeaderKind>(
  (Object.entries(headerNames) as [PersonalHeaderKind, readonly string[]][]).flatMap(([kind, names]) => names.map((n) => [n, kind] as const)),
);

/** The kind of personal data a column header names (whole label, normalised), or null. */
export function personalHeader(label: string): PersonalHeaderKind | null {
  if (label.length > 60) return null;
  return headerIndex.get(normaliseLabel(label)) ?? null;
}

/**
 * A French social security number (NIR): 13 characters (sex, year, month,
 * département — 2A/2B for Corsica —, commune, order) and its 2-digit key,
 * 97 − (number mod 97). Spaces allowed. True only when the key matches.
 */
export function isValidNir(text: string): boolean {
  const compact = text.replace(/\s+/g, "").toUpperCase();
  const m = /^([1-478])(\d{2})(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/.exec(compact);
  if (!m) return false;
  const body = `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}`;
  let number = BigInt(body.replace("2A", "19").replace("2B", "18"));
  if (m[4] === "2A") number -= 1_000_000n;
  if (m[4] === "2B") number -= 2_000_000n;
  return 97n - (number % 97n) === BigInt(m[7]!);
}

/** A value shown in an explanation: its first two characters, the rest of its letters and digits as dots. */
export function maskValue(value: string): string {
  const text = value.trim().slice(0, 40);
  return text.slice(0, 2) + text.slice(2).replace(/[\p{L}\p{N}]/gu, "•");
}

const NIR_IN_TEXT = /(?<![\p{L}\p{N}])[1-478] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AaBb]) ?\d{3} ?\d{3} ?\d{2}(?![\p{L}\p{N}])/gu;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/g;
const PHONE_IN_TEXT = /(?<![\p{L}\p{N}+])(?:(?:\+|00)33 ?\(?0?\)? ?|0)[1-9](?:[ .-]?\d{2}){4}(?![\p{L}\p{N}])/gu;
const DATE_VALUE = /^(?:(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d{2}|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:T.*)?)$/;
/** Excel serial days for 1900-01-01 … 2099-12-31. */
const SERIAL_DATE = { min: 1, max: 73415 };

/** The patterns found in one piece of text. */
export function findValuePatterns(text: string): { kind: "nir" | "email" | "phone"; value: string }[] {
  const found: { kind: "nir" | "email" | "phone"; value: string }[] = [];
  if (text.length < 9) return found;
  if (/\d/.test(text)) {
    for (const m of text.matchAll(NIR_IN_TEXT)) if (isValidNir(m[0])) found.push({ kind: "nir", value: m[0] });
    for (const m of text.matchAll(PHONE_IN_TEXT)) {
      if (!found.some((f) => f.kind === "nir" && f.value.includes(m[0]))) found.push({ kind: "phone", value: m[0] });
    }
  }
  if (text.includes("@")) for (const m of text.matchAll(EMAIL_IN_TEXT)) found.push({ kind: "email", value: m[0] });
  return found;
}

/** Spreadsheet column letters: 0 → A, 26 → AA. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

const patternLabels: Record<"nir" | "email" | "phone" | "birth_date", string> = {
  nir: "un numéro de sécurité sociale (NIR, clé valide)",
  email: "une adresse électronique",
  phone: "un numéro de téléphone",
  birth_date: "une date de naissance",
};

const plural = (n: number, one: string, many: string) => (n > 1 ? many : one);

/** A value read from a table cell: text, a number, or a date (ISO) when the format says so. */
export type CellValue = { type: "text"; text: string } | { type: "number"; number: number; dateStyled?: boolean } | { type: "date"; iso: string };

const MAX_FINDINGS = 50;

/**
 * Collects findings while an extractor walks a file. Tables (`container` =
 * « Feuille « Données » », « Tableau 2 ») are read cell by cell; free text
 * line by line. Findings of one kind are grouped per column (tables) or per
 * container (text), with a count and the first place they occur.
 */
export class PersonalDataDetector {
  private readonly groups = new Map<string, { kind: FindingKind; location: string; first: string; sample: string; count: number; header?: string }>();
  private readonly columnHeaders = new Map<string, { kind: PersonalHeaderKind; row: number }>();
  private incompleteReason: string | null = null;

  private add(key: string, kind: FindingKind, location: string, first: string, sample: string, header?: string) {
    const group = this.groups.get(key);
    if (group) group.count++;
    else if (this.groups.size < MAX_FINDINGS) this.groups.set(key, { kind, location, first, sample, count: 1, header });
  }

  /** One cell of a table. `row` and `column` count from 0. */
  cell(container: string, row: number, column: number, value: CellValue) {
    const col = columnLetters(column);
    const ref = `${col}${row + 1}`;
    const columnKey = `${container}\u0000${column}`;
    if (value.type === "text") {
      const text = value.text.trim();
      if (!text) return;
      const header = personalHeader(text);
      if (header) {
        this.columnHeaders.set(columnKey, { kind: header, row });
        this.add(`header\u0000${columnKey}`, "header", `${container}, colonne ${col}`, ref, text.slice(0, 60), header);
        return;
      }
      for (const found of findValuePatterns(text)) this.add(`${found.kind}\u0000${columnKey}`, found.kind, `${container}, colonne ${col}`, ref, maskValue(found.value));
      const heading = this.columnHeaders.get(columnKey);
      if (heading?.kind === "date de naissance" && row > heading.row && DATE_VALUE.test(text)) {
        this.add(`birth_date\u0000${columnKey}`, "birth_date", `${container}, colonne ${col}`, ref, maskValue(text));
      }
      return;
    }
    const heading = this.columnHeaders.get(columnKey);
    if (value.type === "date") {
      if (heading?.kind === "date de naissance" && row > heading.row) this.add(`birth_date\u0000${columnKey}`, "birth_date", `${container}, colonne ${col}`, ref, maskValue(value.iso));
      return;
    }
    const n = value.number;
    if (heading?.kind === "date de naissance" && row > heading.row && Number.isFinite(n) && n >= SERIAL_DATE.min && n <= SERIAL_DATE.max) {
      this.add(`birth_date\u0000${columnKey}`, "birth_date", `${container}, colonne ${col}`, ref, "••/••/••••");
      return;
    }
    // A NIR typed as a number (15 digits, leading digit 1–4, 7 or 8).
    if (Number.isInteger(n) && n >= 1e14 && n < 9e14) {
      const digits = String(n);
      if (isValidNir(digits)) this.add(`nir\u0000${columnKey}`, "nir", `${container}, colonne ${col}`, ref, maskValue(digits));
    }
  }

  /** One line or paragraph of free text; `where` names it (« paragraphe 12 »). */
  text(container: string, where: string, line: string) {
    const text = line.trim();
    if (!text) return;
    // « Nom : Dupont », « Date de naissance : 12/03/2011 »: a label naming personal data, then a value.
    const labelled = /^([^:：]{1,40})\s*[:：]\s*\S/.exec(text);
    const header = labelled ? personalHeader(labelled[1]!) : null;
    if (header) this.add(`header\u0000${container}\u0000${header}`, "header", container, where, labelled![1]!.trim(), header);
    for (const found of findValuePatterns(text)) this.add(`${found.kind}\u0000${container}`, found.kind, container, where, maskValue(found.value));
  }

  /** The file could not be read whole: the version is held with this reason. */
  incomplete(reason: string) {
    this.incompleteReason ??= reason;
  }

  result(): PersonalDataScan {
    const findings: PersonalDataFinding[] = [...this.groups.values()].map((g) => {
      let explanation: string;
      if (g.kind === "header") {
        explanation = `${capitalise(g.location)} (${g.first}) : l'intitulé « ${g.sample} » désigne une donnée personnelle (${g.header}).`;
      } else {
        const label = patternLabels[g.kind as keyof typeof patternLabels];
        explanation =
          g.count > 1
            ? `${capitalise(g.location)} : ${g.count} ${plural(g.count, "valeur ressemble", "valeurs ressemblent")} à ${label}, par exemple en ${g.first} (${g.sample}).`
            : `${capitalise(g.location)} (${g.first}) : une valeur ressemble à ${label} (${g.sample}).`;
      }
      return { kind: g.kind, location: g.location, count: g.count, explanation };
    });
    if (this.incompleteReason) {
      findings.push({ kind: "incomplete", location: "fichier", count: 1, explanation: `Analyse incomplète : ${this.incompleteReason}` });
    }
    return { status: findings.length > 0 ? "held" : "clean", complete: this.incompleteReason === null, findings };
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
