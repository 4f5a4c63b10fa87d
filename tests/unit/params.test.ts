import { describe, expect, it } from "vitest";
import { isParam, pageNotFound, readParam, requireParam } from "~/server/http/params.server";
import { memberReportYear } from "~/server/http/artefact-route.server";

/** The HTTP edge (docs/architecture.md, « One way to do a thing »): one reader of path parameters, one 404. */
async function thrown(fn: () => unknown): Promise<Response> {
  try {
    fn();
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
  throw new Error("nothing was thrown");
}

describe("requireParam", () => {
  const id = "0b8f3c1e-2a4d-4f6b-9c8d-1e2f3a4b5c6d";

  it("returns a well-formed uuid, year (as a number) and code", () => {
    expect(requireParam({ id }, "id", "uuid", "Document introuvable")).toBe(id);
    expect(requireParam({ year: "2025" }, "year", "year", "Campagne introuvable")).toBe(2025);
    expect(requireParam({ code: "AE_MESURES" }, "code", "code", "Indicateur introuvable")).toBe("AE_MESURES");
    expect(requireParam({ number: "3" }, "number", "number", "Édition introuvable")).toBe(3);
  });

  it.each([
    ["uuid", { id: "pas-un-uuid" }, "id"],
    ["uuid", { id: "' OR 1=1 --" }, "id"],
    ["uuid", {}, "id"],
    ["year", { year: "1999" }, "year"],
    ["year", { year: "2201" }, "year"],
    ["year", { year: "2025.5" }, "year"],
    ["year", { year: "02025" }, "year"],
    ["code", { code: "ae_mesures" }, "code"],
    ["code", { code: "A".repeat(41) }, "code"],
    ["code", { code: "" }, "code"],
    ["number", { number: "0" }, "number"],
    ["number", { number: "-1" }, "number"],
    ["number", { number: "01" }, "number"],
    ["number", { number: "1.5" }, "number"],
    ["number", { number: "1e3" }, "number"],
  ] as const)("a malformed %s (%j) answers 404 with the route's French message", async (kind, params, name) => {
    const response = await thrown(() => requireParam(params as Record<string, string>, name, kind as "uuid", "Proposition introuvable"));
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("Proposition introuvable");
  });

  it("isParam says the same as requireParam", () => {
    expect(isParam(id, "uuid")).toBe(true);
    expect(isParam(id.toUpperCase(), "uuid")).toBe(true);
    expect(isParam("2000", "year") && isParam("2200", "year")).toBe(true);
    expect(isParam(undefined, "code")).toBe(false);
  });

  it("readParam returns what requireParam returns, and undefined where it throws", () => {
    expect(readParam("2025", "year")).toBe(2025);
    expect(readParam("3", "number")).toBe(3);
    expect(readParam(id, "uuid")).toBe(id);
    expect(readParam("1999", "year")).toBeUndefined();
    expect(readParam(undefined, "code")).toBeUndefined();
  });
});

describe("pageNotFound", () => {
  it("is a 404 whose body is the French message", async () => {
    const response = pageNotFound("Réunion introuvable");
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("Réunion introuvable");
  });
});

describe("the member report's fast path reads the year as the route does (ADR 035)", () => {
  it.each(["2000", "2025", "2200", "1999", "2201", "02025", "2025.5", "20x5", "+2025", " 2025", "2e3", "", "abcd"])("%j: the same year, or refused by both", (value) => {
    let route: number | undefined;
    try {
      route = requireParam({ year: value }, "year", "year", "Tableau de bord introuvable");
    } catch (error) {
      if (!(error instanceof Response)) throw error;
    }
    expect(memberReportYear(`/dashboard/${value}`)).toBe(route);
    expect(memberReportYear(`/dashboard/${value}/`)).toBe(route);
  });
});
