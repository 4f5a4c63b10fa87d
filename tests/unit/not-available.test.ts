import { describe, expect, it } from "vitest";
import { validateLines, type PlanLine } from "~/domain/validation";
import { describeNotAvailable, NOT_AVAILABLE_CHOICES, parseNotAvailable, reasonRequired } from "~/domain/not-available";
import { planLine } from "../factories/plan-line";

describe("« non disponible » declarations (Art. 4: data transmitted as they are, never a false 0)", () => {
  it.each([
    ["ND", "ND"],
    ["nd", "ND"],
    [" N.D. ", "ND"],
    ["ND — non disponible", "ND"],
    ["ND - non disponible", "ND"],
    ["Non disponible", "ND"],
    ["NC", "NC"],
    ["NC — non concerné", "NC"],
    ["non concerné", "NC"],
    ["Non concerne", "NC"],
  ])("reads %j as %s", (raw, code) => {
    expect(parseNotAvailable(raw)).toBe(code);
  });

  it.each([[0], [12], [""], ["  "], ["0"], ["n/a"], ["NDX"], ["indisponible ?"], [null], [undefined]])("does not read %j as a declaration", (raw) => {
    expect(parseNotAvailable(raw)).toBeNull();
  });

  it("offers every choice of the workbook's list and reads each one back", () => {
    expect(NOT_AVAILABLE_CHOICES).toEqual(["ND — non disponible", "NC — non concerné"]);
    expect(NOT_AVAILABLE_CHOICES.map(parseNotAvailable)).toEqual(["ND", "NC"]);
  });

  it("requires a reason for ND only, and describes both in French", () => {
    expect(reasonRequired("ND")).toBe(true);
    expect(reasonRequired("NC")).toBe(false);
    expect(describeNotAvailable("ND", "logiciel en migration")).toBe("ND (non disponible) : logiciel en migration");
    expect(describeNotAvailable("NC")).toBe("NC (non concerné)");
  });
});

describe("validateLines with « non disponible » (ADR 026)", () => {
  const line = (breakdownKey: string, previous: number | null = null): PlanLine => planLine(1, breakdownKey, { previous, notAvailableAllowed: true });
  const plan = [line("", 100), line("S=F"), line("S=M")];
  const read = (cells: [unknown, string?][]) => new Map(plan.map((l, i) => [l.key, { key: l.key, row: 6 + i, value: cells[i]![0], reason: cells[i]![1] ?? null }]));

  it("Art. 4: a breakdown cell declared NC skips the breakdown-sum check (no false error), and is stored as missing, never 0", () => {
    const { values, problems } = validateLines(plan, read([[100], [60], ["NC — non concerné"]]), { sheet: "Données", variationThreshold: 0.3 });
    expect(problems).toEqual([]);
    expect(values.get("I1#S=M")).toMatchObject({ value: null, notAvailableCode: "NC", notAvailableReason: null });
  });

  it("Art. 4: without ND/NC the same figures are a breakdown-sum error (the check still runs)", () => {
    const { problems } = validateLines(plan, read([[100], [60], [10]]), { sheet: "Données", variationThreshold: 0.3 });
    expect(problems.map((p) => p.code)).toEqual(["breakdown_sum"]);
  });

  it("Art. 4: a total declared ND raises no variation warning against last year", () => {
    const { problems, values } = validateLines(plan, read([["nd", "Logiciel en migration"], [60], [10]]), { sheet: "Données", variationThreshold: 0.3 });
    expect(problems).toEqual([]);
    expect(values.get("I1#")).toMatchObject({ value: null, notAvailableCode: "ND", notAvailableReason: "Logiciel en migration" });
  });
});
