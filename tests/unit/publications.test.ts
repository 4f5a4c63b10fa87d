import { describe, expect, it } from "vitest";
import {
  blockingExplanation,
  canTransition,
  diffusionClearance,
  isEditable,
  publicationStatuses,
  publicationWorkflow,
  sourceRequirement,
  type LineageSource,
  type PublicationTransition,
} from "~/domain/publications";
import { can, permissionsKeptAfterWithdrawal } from "~/domain/permissions";
import { neutralizeCell, toCsv } from "~/server/explorer/export.server";
import { renderMarkdown } from "~/server/publications/render.server";
import { buildTable, type DataSnapshot } from "~/domain/explorer";
import { contentHash } from "~/server/publications/content.server";

const source = (overrides: Partial<LineageSource>): LineageSource => {
  const base = { organisationId: "o", code: "O", name: "Organisme", isObservatoryTeam: false, withdrawn: false, hasLogo: false, uses: [], documents: [] };
  const merged = { ...base, ...overrides };
  return { ...merged, requirement: overrides.requirement ?? sourceRequirement(merged) };
};
const use = (usageRights: "internal" | "with_approval" | "open", code = "IND") => ({ indicatorCode: code, indicatorLabel: `Indicateur ${code}`, years: [2024], usageRights });

describe("Art. 5 — the publication workflow as a transition table", () => {
  it("draft → awaiting_sources → awaiting_referent → published | rejected; published → unpublished", () => {
    const path: [PublicationTransition, string][] = [
      ["submit", "awaiting_sources"],
      ["sources_approved", "awaiting_referent"],
      ["validate", "published"],
      ["unpublish", "unpublished"],
    ];
    let status: (typeof publicationStatuses)[number] = "draft";
    for (const [transition, to] of path) {
      expect(canTransition(status, transition)).toBe(true);
      status = publicationWorkflow[transition].to;
      expect(status).toBe(to);
    }
    expect(publicationWorkflow.reject).toMatchObject({ from: ["awaiting_referent"], to: "rejected" });
  });

  it("nothing is published without passing through the sources and the referent", () => {
    const toPublished = (Object.entries(publicationWorkflow) as [PublicationTransition, (typeof publicationWorkflow)[PublicationTransition]][]).filter(([, r]) => r.to === "published");
    expect(toPublished.map(([t, r]) => [t, r.from, r.by])).toEqual([["validate", ["awaiting_referent"], "validate:publication"]]);
    expect(publicationWorkflow.sources_approved.from).toEqual(["awaiting_sources"]);
    expect(canTransition("draft", "validate")).toBe(false);
    expect(canTransition("awaiting_sources", "validate")).toBe(false);
  });

  it("a published publication cannot be edited (unpublish first); every other status can, which sends it back to draft", () => {
    expect(isEditable("published")).toBe(false);
    for (const s of publicationStatuses.filter((x) => x !== "published")) expect(isEditable(s)).toBe(true);
    expect(publicationWorkflow.content_changed.to).toBe("draft");
  });

  it("only the referent validates; source decisions belong to validators (also after withdrawal, Art. 7)", () => {
    expect(can({ role: "odpe_referent", organisationId: "team" }, "validate:publication", "any-org")).toBe(true);
    for (const role of ["committee_member", "partner_correspondent", "partner_validator", "reader", "admin"] as const) {
      expect(can({ role, organisationId: "x" }, "validate:publication", "x")).toBe(false);
    }
    expect(can({ role: "partner_validator", organisationId: "x", organisationWithdrawn: true }, "decide:approval", "x")).toBe(true);
    expect(can({ role: "partner_validator", organisationId: "x", organisationWithdrawn: true }, "read:pooled_data")).toBe(false);
    expect(permissionsKeptAfterWithdrawal).toContain("decide:approval");
  });

  it("a reader reaches no internal data (pooled data, workspace, drafts, exports)", () => {
    const reader = { role: "reader" as const, organisationId: "r" };
    for (const p of ["read:pooled_data", "export:pooled_data", "read:workspace", "read:publication", "create:publication", "decide:approval"] as const) {
      expect(can(reader, p, "r")).toBe(false);
    }
  });
});

describe("Art. 5 and agreements — what each source requires", () => {
  it("internal blocks, with_approval or a document needs approval, open needs none; the observatory's own documents go to the referent", () => {
    expect(sourceRequirement(source({ uses: [use("open"), use("internal", "X")] }))).toBe("blocked");
    expect(sourceRequirement(source({ uses: [use("open"), use("with_approval", "Y")] }))).toBe("approval");
    expect(sourceRequirement(source({ uses: [use("open")] }))).toBe("open");
    expect(sourceRequirement(source({ uses: [use("open")], documents: [{ documentId: "d", title: "Étude" }] }))).toBe("approval");
    expect(sourceRequirement(source({ isObservatoryTeam: true, documents: [{ documentId: "d", title: "Note" }] }))).toBe("observatory");
  });

  it("the explanation names the internal indicator and its organisation", () => {
    expect(blockingExplanation([source({ name: "Parquet", uses: [use("internal", "OPP")] })])).toMatch(/« Indicateur OPP » \(OPP\) de Parquet est réservé à un usage interne/);
    expect(blockingExplanation([source({ uses: [use("open")] })])).toBeNull();
  });

  it("Art. 5: publishing needs every required approval of this exact content; one missing or one refusal is enough to refuse", () => {
    const caf = source({ organisationId: "caf", uses: [use("with_approval")] });
    const dep = source({ organisationId: "dep", uses: [use("with_approval")] });
    const pop = source({ organisationId: "pop", uses: [use("open")] });
    const sources = [caf, dep, pop];
    const approved = (organisationId: string, contentHash = "h1") => ({ organisationId, status: "approved" as const, contentHash });
    expect(diffusionClearance(sources, [approved("caf")], "h1")).toEqual({ ok: false, blocked: null, missing: ["dep"], refused: [] });
    expect(diffusionClearance(sources, [approved("caf"), { organisationId: "dep", status: "refused", contentHash: "h1" }], "h1")).toMatchObject({ ok: false, refused: ["dep"] });
    expect(diffusionClearance(sources, [approved("caf"), approved("dep", "h0")], "h1").missing).toEqual(["dep"]);
    expect(diffusionClearance(sources, [approved("caf"), approved("dep")], "h1").ok).toBe(true);
    expect(diffusionClearance([pop], [], "h1").ok).toBe(true);
  });
});

describe("content hash", () => {
  const snapshot: DataSnapshot = {
    indicator: { id: "i", code: "C", label: "C", unit: "nombre", valueType: "integer", secrecyThreshold: 5, domainLabel: "D" },
    organisations: [],
    lists: [],
    values: [{ organisationId: "o", year: 2024, key: "", value: 10, sourceVersionId: "v", indicatorVersionId: "iv" }],
    denominator: null,
    breaks: [],
  };
  const query = { indicator: "C", from: null, to: null, organisations: [], view: "series" as const, year: null, rate: null };
  const content = { title: "T", audience: "extranet" as const, body: "B", items: [{ id: "x", position: 0, kind: "chart" as const, title: "G", query, snapshot }], attachments: [] };

  it("changes with any value, text or attachment, and not with key order or item ids", () => {
    const h = contentHash(content);
    expect(contentHash({ ...content, items: [{ ...content.items[0]!, id: "other" }] })).toBe(h);
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]))
          : value;
    expect(contentHash(reverseKeys(content) as typeof content)).toBe(h);
    expect(contentHash({ ...content, body: "B." })).not.toBe(h);
    expect(contentHash({ ...content, items: [{ ...content.items[0]!, snapshot: { ...snapshot, values: [{ ...snapshot.values[0]!, value: 11 }] } }] })).not.toBe(h);
  });
});

describe("exports: formula injection (CSV/XLSX)", () => {
  it("neutralises text cells starting with =, +, -, @, tab or carriage return", () => {
    for (const bad of ["=1+1", "+33 4 77", "-2", "@SUM(A1)", "\tx", "\rx"]) expect(neutralizeCell(bad)).toBe(`'${bad}`);
    expect(neutralizeCell("CAF de la Loire")).toBe("CAF de la Loire");
  });

  it("a malicious organisation name reaches the CSV neutralised; numbers stay numbers (French decimals)", () => {
    const snapshot: DataSnapshot = {
      indicator: { id: "i", code: "TX", label: "Taux", unit: "pourcentage", valueType: "decimal", secrecyThreshold: 0, domainLabel: "D" },
      organisations: [{ id: "o", code: "EVIL", name: '=HYPERLINK("http://evil.example","clic")' }],
      lists: [],
      values: [{ organisationId: "o", year: 2024, key: "", value: -2.5, sourceVersionId: "v", indicatorVersionId: "iv" }],
      denominator: null,
      breaks: [],
    };
    const query = { indicator: "TX", from: null, to: null, organisations: [], view: "series" as const, year: null, rate: null };
    const csv = new TextDecoder().decode(toCsv({ title: "Taux", sources: "Source : x", extractedAt: "now", table: buildTable(query, snapshot), snapshot }));
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""clic"")";-2,5`);
    expect(csv).toContain("Usage interne à l'ODPE — toute diffusion externe requiert l'accord préalable des sources (convention, art. 5)");
    expect(csv.split("\r\n").some((line) => line.startsWith("="))).toBe(false);
  });
});

describe("publications: Markdown rendered safely", () => {
  it("keeps formatting, drops scripts, raw HTML, event handlers and javascript: links", () => {
    const html = renderMarkdown('## Résultats\n\n**Hausse** <script>alert(1)</script> <img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://odpe.example)');
    expect(html).toContain("<h4>Résultats</h4>");
    expect(html).toContain("<strong>Hausse</strong>");
    // Raw HTML is shown as text (escaped), never as markup; the javascript: link loses its href.
    expect(html).not.toMatch(/<script|<img|href="javascript/);
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain('<a href="https://odpe.example" rel="noopener noreferrer nofollow">b</a>');
  });
});
