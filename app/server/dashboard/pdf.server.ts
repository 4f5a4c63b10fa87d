import { createRequire } from "node:module";
import type PDFKitDocument from "pdfkit";
import {
  formatChange,
  sourceNamesOf,
  formatFigure,
  frenchTypography,
  type DashboardEdition,
  type EditionMeta,
  type Figure,
  type IndicatorBlock,
} from "~/domain/dashboard";
import { reportCharts, trendPosition, type BarsChart, type BlockCharts, type TrendChart } from "~/domain/report-charts";
import { formatDate } from "~/domain/format";
import { lazyDefault } from "../lazy-module.server";
import { SECRET_EXPLANATION, SECRET_LABEL } from "~/domain/secrecy";

/**
 * The report as PDF, drawn on the server with pdfkit: DejaVu fonts embedded
 * (shipped by the dejavu-fonts-ttf package, so a fresh machine needs no
 * system font), French typography, vector charts (trend lines, breakdown
 * bars, completeness bars), bookmarks and page numbers.
 */
const require = createRequire(import.meta.url);
const FONT_DIR = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf").replace(/DejaVuSans\.ttf$/, "");
const FONTS = {
  regular: `${FONT_DIR}DejaVuSans.ttf`,
  bold: `${FONT_DIR}DejaVuSans-Bold.ttf`,
  italic: `${FONT_DIR}DejaVuSans-Oblique.ttf`,
};

const INK = "#1a1b1e";
const MUTED = "#495057";
const ACCENT = "#364fc7";
const LIGHT = "#edf2ff";
const RULE = "#ced4da";
const UP = "#0b5e2e";
const DOWN = "#a61e1e";

const MARGIN = 50;
const FOOTER = 40;

export interface PdfLogo {
  fileId: string;
  /** PNG or JPEG bytes (pdfkit draws no other format: WebP logos are converted to PNG first). */
  bytes: Buffer;
}

type Doc = PDFKit.PDFDocument;
type PdfDocumentClass = typeof PDFKitDocument;

/**
 * pdfkit, loaded with the first PDF rather than with the module (ADR 047): a
 * heavy-work thread that only parses uploads never needs it (~0.3–0.5 s of
 * CPU and ~24 MiB at its first task).
 */
export const loadPdfKit: () => Promise<PdfDocumentClass> = lazyDefault<PdfDocumentClass>(() => import("pdfkit"));

const t = (text: string) => frenchTypography(text);

class ReportPdf {
  readonly doc: Doc;
  private readonly width: number;
  private readonly bottom: number;
  /** Every chart, described once (app/domain/report-charts.ts). */
  private readonly charts: Map<string, BlockCharts>;

  constructor(
    PDFDocument: PdfDocumentClass,
    private readonly edition: DashboardEdition,
    private readonly meta: EditionMeta | null,
    private readonly logos: Map<string, Buffer>,
  ) {
    const created = meta?.publishedAt ? new Date(meta.publishedAt) : new Date(edition.assembledAt);
    this.doc = new PDFDocument({
      size: "A4",
      margins: { top: MARGIN, bottom: MARGIN + FOOTER / 2, left: MARGIN, right: MARGIN },
      bufferPages: true,
      lang: "fr-FR",
      displayTitle: true,
      info: {
        Title: `Tableau de bord annuel de la protection de l'enfance ${edition.year} — ${edition.observatory.label}`,
        Author: edition.observatory.name,
        Subject: `Tableau de bord ${edition.year}, ${edition.variant === "public" ? "édition publique" : "édition interne"}${meta ? `, édition n° ${meta.number}` : ""}`,
        Keywords: "protection de l'enfance, ODPE, ONPE, tableau de bord",
        CreationDate: created,
        ModDate: created,
      },
    });
    this.doc.registerFont("regular", FONTS.regular);
    this.doc.registerFont("bold", FONTS.bold);
    this.doc.registerFont("italic", FONTS.italic);
    this.doc.font("regular").fillColor(INK);
    this.width = this.doc.page.width - 2 * MARGIN;
    this.bottom = this.doc.page.height - MARGIN - FOOTER / 2;
    this.charts = reportCharts(edition);
  }

  private ensure(height: number) {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  private text(value: string, options: { font?: "regular" | "bold" | "italic"; size?: number; color?: string; gap?: number } & PDFKit.Mixins.TextOptions = {}) {
    const { font = "regular", size = 10, color = INK, gap = 4, ...rest } = options;
    this.doc.font(font).fontSize(size).fillColor(color);
    this.doc.text(t(value), MARGIN, this.doc.y, { width: this.width, ...rest });
    this.doc.moveDown(gap / size);
  }

  private heading(value: string, level: 1 | 2 | 3) {
    const size = level === 1 ? 17 : level === 2 ? 13 : 11;
    this.ensure(level === 3 ? 110 : size * 5);
    if (level === 1) this.doc.outline.addItem(value);
    this.doc.font("bold").fontSize(size).fillColor(level === 1 ? ACCENT : INK);
    this.doc.text(t(value), MARGIN, this.doc.y, { width: this.width });
    if (level === 1) {
      const y = this.doc.y + 2;
      this.doc.moveTo(MARGIN, y).lineTo(MARGIN + this.width, y).lineWidth(1.5).strokeColor(ACCENT).stroke();
      this.doc.y = y + 8;
    } else {
      this.doc.moveDown(0.3);
    }
  }

  private paragraphs(value: string) {
    for (const p of value.split(/\n{2,}/).map((s) => s.trim()).filter(Boolean)) {
      this.ensure(30);
      this.text(p, { size: 10, gap: 6, align: "justify" });
    }
  }

  /** A trend line in a box, drawn from its description (app/domain/report-charts.ts); a break in series or a missing year cuts the line. */
  private sparkline(x: number, y: number, w: number, h: number, chart: TrendChart) {
    const doc = this.doc;
    if (!chart.axis) {
      doc.moveTo(x, y + h / 2).lineTo(x + w, y + h / 2).dash(2, { space: 2 }).lineWidth(0.6).strokeColor(RULE).stroke().undash();
      return;
    }
    const box = { x, y, w, h };
    doc.lineWidth(1.1).strokeColor(ACCENT);
    for (const segment of chart.segments) {
      segment.forEach((index, i) => {
        const p = trendPosition(chart, index, box);
        if (i === 0) doc.moveTo(p.x, p.y);
        else doc.lineTo(p.x, p.y);
      });
    }
    doc.stroke();
    if (chart.emphasised !== null) {
      const p = trendPosition(chart, chart.emphasised, box);
      doc.circle(p.x, p.y, 1.8).fillColor(ACCENT).fill();
    }
    doc.font("regular").fontSize(6).fillColor(MUTED);
    doc.text(String(chart.years.first), x - 2, y + h + 1, { lineBreak: false });
    doc.text(String(chart.years.last), x + w - 14, y + h + 1, { lineBreak: false });
  }

  private figureText(f: Figure, decimals: number) {
    return formatFigure(f, decimals);
  }

  cover() {
    const { edition, meta, doc } = this;
    doc.rect(0, 0, doc.page.width, 190).fillColor(LIGHT).fill();
    doc.y = 60;
    this.text(edition.observatory.name, { font: "bold", size: 12, color: ACCENT });
    if (edition.observatory.departementName) this.text(`Département : ${edition.observatory.departementName} (${edition.observatory.departementCode})`, { size: 10, color: MUTED });
    doc.y = 210;
    doc.outline.addItem("Couverture");
    this.text("Tableau de bord annuel de la protection de l'enfance", { font: "bold", size: 24, gap: 4 });
    this.text(String(edition.year), { font: "bold", size: 40, color: ACCENT, gap: 14 });
    const status = meta
      ? meta.publishedAt
        ? `Édition n° ${meta.number}, publiée le ${formatDate(meta.publishedAt)}`
        : `Édition n° ${meta.number} — aperçu, non publiée`
      : "Aperçu";
    this.text(status, { size: 12 });
    this.text(edition.variant === "public" ? "Édition publique" : "Édition interne — réservée aux membres de l'observatoire (convention, art. 5)", {
      size: 11,
      color: MUTED,
    });
    if (meta?.correctionNote) this.text(`Édition corrective : ${meta.correctionNote}`, { size: 10, color: MUTED });
    if (edition.observatory.isDemo) {
      doc.moveDown(1);
      this.text("Démonstration : les organismes existent, mais toutes les valeurs de ce document sont fictives.", { font: "bold", size: 11, color: "#8a3300" });
    }
    doc.y = doc.page.height - 230;
    this.text(
      `Publié sous le label de l'observatoire avec la mention de chaque organisme contributeur (convention, art. 5) : ${edition.contributors.length} organisme(s). Transmis à l'Observatoire national de la protection de l'enfance (ONPE).`,
      { size: 9, color: MUTED },
    );
  }

  foreword() {
    if (!this.meta?.foreword) return;
    this.doc.addPage();
    this.heading("Avant-propos", 1);
    this.paragraphs(this.meta.foreword);
  }

  keyFigures() {
    const { edition, doc } = this;
    doc.addPage();
    this.heading(`Chiffres clés ${edition.year}`, 1);
    if (edition.keyFigures.length === 0) {
      this.text("Aucun chiffre clé n'est défini dans le catalogue.");
      return;
    }
    const gap = 12;
    const boxW = (this.width - gap) / 2;
    const boxH = 92;
    edition.keyFigures.forEach((k, i) => {
      if (i % 2 === 0) this.ensure(boxH + gap);
      const x = MARGIN + (i % 2) * (boxW + gap);
      const y = doc.y;
      doc.roundedRect(x, y, boxW, boxH, 4).lineWidth(0.8).strokeColor(RULE).stroke();
      doc.font("bold").fontSize(9).fillColor(INK).text(t(k.label), x + 8, y + 7, { width: boxW - 16, height: 24, ellipsis: true });
      doc.font("bold").fontSize(20).fillColor(ACCENT).text(this.figureText(k.current, k.decimals), x + 8, y + 32, { width: boxW - 110, lineBreak: false });
      doc.font("regular").fontSize(7.5).fillColor(MUTED).text(t(k.unit), x + 8, y + 58, { width: boxW - 110, lineBreak: false, ellipsis: true });
      const change = formatChange(k.change, k.decimals) + (k.changeNote ? (k.change ? " à périmètre constant" : " (non calculée)") : "");
      doc
        .font("regular")
        .fontSize(8)
        .fillColor(!k.change ? MUTED : k.change.absolute > 0 ? UP : k.change.absolute < 0 ? DOWN : MUTED)
        .text(`${change} / ${edition.year - 1} (${this.figureText(k.previous, k.decimals)})`, x + 8, y + 72, { width: boxW - 16, lineBreak: false });
      const chart = this.charts.get(k.code)?.trend;
      if (chart) this.sparkline(x + boxW - 96, y + 34, 86, 26, chart);
      if (i % 2 === 1 || i === edition.keyFigures.length - 1) doc.y = y + boxH + gap;
      else doc.y = y;
    });
  }

  private indicatorTable(blocks: IndicatorBlock[]) {
    const { doc, edition } = this;
    const cols = [
      { title: "Indicateur", w: this.width - 3 * 62 - 90, align: "left" as const },
      { title: String(edition.year - 1), w: 62, align: "right" as const },
      { title: String(edition.year), w: 62, align: "right" as const },
      { title: "Évolution", w: 62, align: "right" as const },
      { title: `Tendance ${edition.years[0]}–${edition.year}`, w: 90, align: "center" as const },
    ];
    const header = () => {
      const y = doc.y;
      doc.rect(MARGIN, y, this.width, 16).fillColor(LIGHT).fill();
      let x = MARGIN;
      doc.font("bold").fontSize(8).fillColor(INK);
      for (const c of cols) {
        doc.text(c.title, x + 3, y + 4, { width: c.w - 6, align: c.align, lineBreak: false });
        x += c.w;
      }
      doc.y = y + 18;
    };
    this.ensure(60);
    header();
    for (const b of blocks) {
      const labelW = cols[0]!.w - 6;
      doc.font("bold").fontSize(8.5);
      const labelH = doc.heightOfString(t(b.label), { width: labelW });
      const sub = `${b.unit}${b.kind === "derived" ? " — indicateur calculé" : ""} — sources : ${sourceNamesOf(edition, b.sources).join(", ")}`;
      doc.font("regular").fontSize(7);
      const subH = doc.heightOfString(t(sub), { width: labelW });
      const notes = b.notes.map(t).join(" ");
      const notesH = notes ? doc.heightOfString(notes, { width: labelW }) : 0;
      const rowH = Math.max(labelH + subH + notesH + 8, 38);
      if (doc.y + rowH > this.bottom) {
        doc.addPage();
        header();
      }
      const y = doc.y;
      let x = MARGIN;
      doc.font("bold").fontSize(8.5).fillColor(INK).text(t(b.label), x + 3, y + 3, { width: labelW });
      doc.font("regular").fontSize(7).fillColor(MUTED).text(t(sub), x + 3, doc.y, { width: labelW });
      if (notes) doc.font("italic").fontSize(7).fillColor("#8a3300").text(notes, x + 3, doc.y, { width: labelW });
      x += cols[0]!.w;
      const cell = (value: string, w: number, font: "regular" | "bold" | "italic", color = INK) => {
        doc.font(font).fontSize(8.5).fillColor(color).text(value, x + 3, y + 4, { width: w - 6, align: "right", lineBreak: false });
        x += w;
      };
      cell(this.figureText(b.previous, b.decimals), cols[1]!.w, b.previous.secret ? "italic" : "regular");
      cell(this.figureText(b.current, b.decimals), cols[2]!.w, b.current.secret ? "italic" : "bold");
      cell(formatChange(b.change, b.decimals), cols[3]!.w, "regular", !b.change ? MUTED : b.change.absolute > 0 ? UP : b.change.absolute < 0 ? DOWN : INK);
      this.sparkline(x + 8, y + 5, cols[4]!.w - 16, 18, this.charts.get(b.code)!.trend);
      doc.moveTo(MARGIN, y + rowH).lineTo(MARGIN + this.width, y + rowH).lineWidth(0.4).strokeColor(RULE).stroke();
      doc.y = y + rowH + 2;
    }
    doc.moveDown(0.5);
  }

  /** Horizontal bars of a breakdown's first list for the reference year, drawn from its description. */
  private breakdownChart(chart: BarsChart) {
    const { doc } = this;
    const rowH = 13;
    const height = 22 + chart.bars.length * rowH;
    this.ensure(height + 10);
    const y0 = doc.y;
    doc.font("bold").fontSize(8.5).fillColor(INK).text(t(chart.title), MARGIN, y0, { width: this.width });
    const labelW = 150;
    const barX = MARGIN + labelW + 6;
    const barW = this.width - labelW - 70;
    let y = doc.y + 3;
    for (const bar of chart.bars) {
      doc.font("regular").fontSize(7.5).fillColor(INK).text(t(bar.label), MARGIN, y + 1, { width: labelW, align: "right", lineBreak: false, ellipsis: true });
      const w = bar.value === null ? 0 : (bar.value / chart.max) * barW;
      doc.rect(barX, y + 1, barW, rowH - 4).fillColor("#f1f3f5").fill();
      if (w > 0) doc.rect(barX, y + 1, w, rowH - 4).fillColor(ACCENT).fill();
      doc
        .font(bar.secret ? "italic" : "regular")
        .fontSize(7.5)
        .fillColor(INK)
        .text(bar.text, barX + barW + 4, y + 1, { width: 60, lineBreak: false });
      y += rowH;
    }
    doc.y = y + 6;
  }

  sections() {
    const { doc, edition, meta } = this;
    for (const section of edition.sections) {
      doc.addPage();
      this.heading(`${section.position}. ${section.domainLabel}`, 1);
      const comment = meta?.comments[section.domainCode];
      if (comment) this.paragraphs(comment);
      this.indicatorTable(section.blocks);
      const bars = section.blocks.flatMap((b) => this.charts.get(b.code)?.bars ?? []);
      if (bars.length) {
        this.heading("Ventilations", 3);
        for (const chart of bars) this.breakdownChart(chart);
      }
    }
  }

  quality() {
    const { doc, edition } = this;
    const q = edition.quality;
    doc.addPage();
    this.heading("Qualité des données", 1);
    this.heading(`Transmissions de la campagne ${edition.year}`, 2);
    if (q.transmissions.length === 0) {
      this.text("Aucune transmission attendue n'est enregistrée pour cette année.");
    } else {
      const onTime = q.transmissions.filter((r) => r.timing === "on_time").length;
      const late = q.transmissions.filter((r) => r.timing === "late").length;
      const missing = q.transmissions.filter((r) => r.timing === "missing").length;
      this.text(`${onTime} organisme(s) à temps, ${late} en retard, ${missing} sans transmission, sur ${q.transmissions.length} attendu(s).`);
      for (const r of q.transmissions) {
        // Long organisation names wrap inside their column; the row is as tall as its tallest cell.
        const name = t(r.organisationName);
        const timing = r.timing === "on_time" ? "À temps" : r.timing === "late" ? `En retard (${formatDate(r.transmittedAt)})` : "Non transmis";
        const nameH = doc.font("regular").fontSize(8).heightOfString(name, { width: 260 });
        const timingH = doc.font("bold").fontSize(8).heightOfString(timing, { width: this.width - 380 });
        const rowH = Math.max(12, Math.ceil(Math.max(nameH, timingH)) + 3);
        this.ensure(rowH + 2);
        const y = doc.y;
        doc.font("regular").fontSize(8).fillColor(INK).text(name, MARGIN, y, { width: 260 });
        doc.text(`limite ${formatDate(r.deadline)}`, MARGIN + 265, y, { width: 110, lineBreak: false });
        doc
          .font("bold")
          .fillColor(r.timing === "on_time" ? UP : DOWN)
          .text(timing, MARGIN + 380, y, { width: this.width - 380 });
        doc.y = y + rowH;
      }
    }
    doc.moveDown(0.5);
    this.heading("Complétude par domaine", 2);
    for (const c of q.completeness) {
      this.ensure(16);
      const y = doc.y;
      doc.font("regular").fontSize(8.5).fillColor(INK).text(t(c.domainLabel), MARGIN, y, { width: 200, lineBreak: false, ellipsis: true });
      const barX = MARGIN + 210;
      const barW = 180;
      doc.rect(barX, y + 1, barW, 8).fillColor("#f1f3f5").fill();
      doc.rect(barX, y + 1, barW * (c.rate ?? 0), 8).fillColor(ACCENT).fill();
      const nd = c.notAvailable ? `, dont ${c.notAvailable} ND` : "";
      doc.fillColor(INK).text(`${c.received} / ${c.expected} (${c.rate === null ? "—" : Math.round(c.rate * 100)} %${nd})`.replace(" %", "\u00a0%"), barX + barW + 8, y, { lineBreak: false });
      doc.y = y + 14;
    }
    doc.moveDown(0.5);
    this.heading("Indicateurs manquants", 2);
    if (q.missing.length === 0) this.text("Tous les indicateurs attendus ont été reçus.");
    for (const m of q.missing) {
      this.ensure(14);
      this.text(`• ${m.label} (${m.code}) : ${m.organisations.join(", ")}`, { size: 8.5, gap: 2 });
    }
    doc.moveDown(0.5);
    this.heading("Ruptures de série", 2);
    if (q.breaks.length === 0) this.text(`Aucune définition n'a changé sur la période ${edition.years[0]}–${edition.year}.`);
    for (const b of q.breaks) {
      this.ensure(14);
      this.text(
        `• ${b.label} (${b.code}) : nouvelle définition en ${b.year} (${b.changes.join(", ")})${b.breaksComparability ? " — valeurs non comparables avant et après." : "."}`,
        { size: 8.5, gap: 2 },
      );
    }
  }

  contributors() {
    const { doc, edition } = this;
    doc.addPage();
    this.heading("Contributeurs", 1);
    this.text(
      `Ce tableau de bord est publié sous le label de l'observatoire avec la mention et le logo de chaque organisme dont les données y figurent (convention, art. 5).`,
      { gap: 8 },
    );
    const cols = 3;
    const cellW = this.width / cols;
    const cellH = 72;
    edition.contributors.forEach((c, i) => {
      if (i % cols === 0) this.ensure(cellH);
      const x = MARGIN + (i % cols) * cellW;
      const y = doc.y;
      const logo = c.logoFileId ? this.logos.get(c.logoFileId) : undefined;
      let drawn = false;
      if (logo) {
        try {
          doc.image(logo, x + (cellW - 96) / 2, y, { fit: [96, 40], align: "center", valign: "center" });
          drawn = true;
        } catch {
          drawn = false; // an unreadable image: the name stands alone
        }
      }
      if (!drawn) {
        doc.roundedRect(x + (cellW - 96) / 2, y, 96, 40, 3).lineWidth(0.6).strokeColor(RULE).stroke();
        doc.font("bold").fontSize(11).fillColor(ACCENT).text(c.code.slice(0, 6), x + (cellW - 96) / 2, y + 14, { width: 96, align: "center", lineBreak: false });
      }
      doc.font("regular").fontSize(7.5).fillColor(INK).text(t(c.name), x + 4, y + 44, { width: cellW - 8, align: "center", height: 26, ellipsis: true });
      doc.y = i % cols === cols - 1 || i === edition.contributors.length - 1 ? y + cellH : y;
    });
    doc.moveDown(0.5);
    this.text(`Sources : ${edition.contributors.map((c) => c.name).join(" ; ")}, données ${edition.year}.`, { size: 8, color: MUTED });
    if (edition.variant === "internal" && edition.internalIndicators.length) {
      doc.moveDown(0.5);
      this.heading("Indicateurs à usage interne", 2);
      this.text("Ces indicateurs figurent dans l'édition interne seulement : une convention d'application les réserve à l'usage interne (art. 4 et 5).", { size: 9 });
      for (const i of edition.internalIndicators) this.text(`• ${i.label} (${i.code}) : ${i.organisations.join(", ")}`, { size: 8.5, gap: 2 });
    }
  }

  method() {
    const { edition } = this;
    this.doc.moveDown(1);
    this.heading("Méthode et secret statistique", 2);
    this.text(
      "Les valeurs sont celles acceptées par l'ODPE après validation par chaque institution (art. 4). La valeur départementale additionne les valeurs des organismes ; les pourcentages, durées moyennes et prix unitaires sont la moyenne des organismes pondérée comme le catalogue le déclare (par exemple le taux d'occupation par les places installées), ou « non agrégeable ». Les taux rapportent un indicateur à la population de référence.",
      { size: 8.5 },
    );
    this.text(
      edition.variant === "public"
        ? `${SECRET_EXPLANATION} : les petits effectifs, et les cases qui permettraient de les retrouver, sont remplacés par « ${SECRET_LABEL} » (${edition.maskedCount} valeur(s) masquée(s)). ${edition.excludedInternalCount ? `${edition.excludedInternalCount} indicateur(s) réservé(s) à l'usage interne ne figurent pas dans cette édition.` : ""}`
        : "Édition interne : aucune valeur n'est masquée ; le secret statistique s'applique à l'édition publique.",
      { size: 8.5 },
    );
    this.text(`« n.d. » : valeur non disponible. Évolution : variation relative par rapport à ${edition.year - 1}. Assemblé le ${formatDate(edition.assembledAt)}.`, { size: 8.5 });
  }

  /** Footer on every page but the cover: edition and "Page n sur N". */
  footers() {
    const { doc, edition, meta } = this;
    const range = doc.bufferedPageRange();
    const total = range.count;
    for (let i = range.start; i < range.start + total; i++) {
      doc.switchToPage(i);
      const bottomMargin = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      const y = doc.page.height - MARGIN + 10;
      doc.moveTo(MARGIN, y - 6).lineTo(doc.page.width - MARGIN, y - 6).lineWidth(0.4).strokeColor(RULE).stroke();
      doc
        .font("regular")
        .fontSize(7.5)
        .fillColor(MUTED)
        .text(
          t(`${edition.observatory.label} — Tableau de bord ${edition.year}${meta ? ` — édition n° ${meta.number}` : ""} — ${edition.variant === "public" ? "édition publique" : "édition interne"}`),
          MARGIN,
          y,
          { width: this.width - 90, lineBreak: false },
        );
      doc.text(`Page ${i + 1} sur ${total}`, doc.page.width - MARGIN - 90, y, { width: 90, align: "right", lineBreak: false });
      doc.page.margins.bottom = bottomMargin;
    }
  }
}

/** The whole report as a PDF buffer. */
export async function renderEditionPdf(edition: DashboardEdition, meta: EditionMeta | null, logos: PdfLogo[] = []): Promise<Buffer> {
  const pdf = new ReportPdf(await loadPdfKit(), edition, meta, new Map(logos.map((l) => [l.fileId, l.bytes])));
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    pdf.doc.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.doc.on("error", reject);
  });
  pdf.cover();
  pdf.foreword();
  pdf.keyFigures();
  pdf.sections();
  pdf.quality();
  pdf.contributors();
  pdf.method();
  pdf.footers();
  pdf.doc.end();
  return done;
}
