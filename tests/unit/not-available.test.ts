import { describe, expect, it } from "vitest";
import { describeNotAvailable, NOT_AVAILABLE_CHOICES, parseNotAvailable, reasonRequired } from "~/domain/not-available";

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
