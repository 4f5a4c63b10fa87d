import { describe, expect, it } from "vitest";
import { addCalendarMonths, addDays, isMonthDay, monthDayInYear, todayIso } from "~/domain/dates";
import { isMemberOn, membershipStatus, withdrawalEffectiveDate } from "~/domain/organisations";
import { checkValues, seriesBreaks, versionForYear, type VersionDefinition } from "~/domain/indicators";
import { agreementCoversYear, DEFAULT_USAGE_RIGHTS, organisationDeadline } from "~/domain/agreements";
import { agreementFormSchema, parseAgreementIndicators } from "~/domain/agreement-forms";
import { campaignCalendar, campaignFormSchema, campaignTransitions, findTransition, nextStatuses, reminderDates, submissionWindow } from "~/domain/campaigns";
import { amendmentFormSchema } from "~/domain/convention";
import { can, roles } from "~/domain/permissions";
import { navigationFor } from "~/ui/navigation";
import { sniffImageType } from "~/server/http/uploads.server";
import { samplePng, sampleSvg } from "../factories/referential";

describe("Art. 7: withdrawal notice period", () => {
  it("Art. 7: withdrawal takes effect three calendar months after the registered letter", () => {
    expect(withdrawalEffectiveDate("2025-06-02")).toBe("2025-09-02");
    expect(withdrawalEffectiveDate("2025-10-15")).toBe("2026-01-15");
  });

  it("Art. 7: a letter at the end of a month takes effect on the last day of the third month (as PostgreSQL computes it)", () => {
    expect(withdrawalEffectiveDate("2025-11-30")).toBe("2026-02-28");
    expect(withdrawalEffectiveDate("2023-11-30")).toBe("2024-02-29");
    expect(addCalendarMonths("2025-01-31", 1)).toBe("2025-02-28");
  });

  it("Art. 7: an organisation is 'withdrawal notified' until the effective date, then withdrawn", () => {
    const org = { member_since: "2019-01-28", withdrawal_notice_date: "2025-06-02", withdrawal_effective_date: "2025-09-02" };
    expect(membershipStatus(org, "2025-06-01")).toBe("withdrawal_notified");
    expect(membershipStatus(org, "2025-09-01")).toBe("withdrawal_notified");
    expect(membershipStatus(org, "2025-09-02")).toBe("withdrawn");
    expect(isMemberOn(org, "2025-09-01")).toBe(true);
    expect(isMemberOn(org, "2025-09-02")).toBe(false);
  });

  it("Art. 7: membership starts on the date of the text that made it (not before)", () => {
    const org = { member_since: "2021-03-15", withdrawal_notice_date: null, withdrawal_effective_date: null };
    expect(membershipStatus(org, "2021-03-14")).toBe("not_member");
    expect(membershipStatus(org, "2021-03-15")).toBe("member");
    expect(membershipStatus({ member_since: null, withdrawal_notice_date: null, withdrawal_effective_date: null }, "2030-01-01")).toBe("not_member");
  });
});

describe("Art. 7 (and Art. 5–6): what a withdrawn organisation's users keep", () => {
  it("Art. 7: every permission is refused once withdrawn, except exporting the organisation's own data", () => {
    for (const role of ["partner_correspondent", "partner_validator"] as const) {
      const active = { role, organisationId: "org-a" };
      const withdrawn = { ...active, organisationWithdrawn: true };
      expect(can(active, "read:organisation")).toBe(true);
      expect(can(withdrawn, "read:organisation")).toBe(false);
      expect(can(withdrawn, "read:pooled_data")).toBe(false);
      expect(can(withdrawn, "export:organisation_data", "org-a")).toBe(true);
      expect(can(withdrawn, "export:organisation_data", "org-b")).toBe(false);
    }
    expect(can({ role: "partner_correspondent", organisationId: "org-a" }, "submit:submission", "org-a")).toBe(true);
    expect(can({ role: "partner_correspondent", organisationId: "org-a", organisationWithdrawn: true }, "submit:submission", "org-a")).toBe(false);
  });

  it("Art. 7: a withdrawn organisation's users see only the export of their data in the navigation", () => {
    const nav = navigationFor({ role: "partner_correspondent", organisationId: "org-a", organisationWithdrawn: true });
    expect(nav).toEqual([{ to: "/my-data", label: "Données de mon organisme" }]);
  });

  it("the referent sees every agreement and campaign; a partner sees its own agreement ('Ma convention')", () => {
    const referent = navigationFor({ role: "odpe_referent", organisationId: "team" }).map((i) => i.to);
    expect(referent).toEqual(expect.arrayContaining(["/convention", "/indicators", "/agreements", "/campaigns"]));
    expect(referent).not.toContain("/my-agreement");
    const partner = navigationFor({ role: "partner_correspondent", organisationId: "org-a" }).map((i) => i.to);
    expect(partner).toEqual(expect.arrayContaining(["/my-agreement", "/my-data", "/indicators"]));
    expect(partner).not.toContain("/agreements");
    expect(partner).not.toContain("/campaigns");
  });
});

describe("Art. 7: amendments", () => {
  const base = { signedOn: "2023-06-12", title: "Avenant", description: "", organisationIds: "", indicatorIds: "" };
  const id = "8b5c8b1e-4f7e-4c5b-9a51-2a8f9c3c1d10";
  it("Art. 7: an amendment admitting partners names at least one organisation", () => {
    expect(amendmentFormSchema.safeParse({ ...base, kind: "new_partner" }).success).toBe(false);
    expect(amendmentFormSchema.safeParse({ ...base, kind: "new_partner", organisationIds: id }).success).toBe(true);
  });
  it("Art. 7: new data take an amendment of kind new_data naming the indicators added", () => {
    expect(amendmentFormSchema.safeParse({ ...base, kind: "new_data" }).success).toBe(false);
    expect(amendmentFormSchema.safeParse({ ...base, kind: "new_data", indicatorIds: id }).success).toBe(true);
    expect(amendmentFormSchema.safeParse({ ...base, kind: "other", indicatorIds: id }).success).toBe(false);
  });
});

describe("versioned indicators (Art. 3)", () => {
  const v = (version: number, valid_from_year: number | null, patch: Partial<VersionDefinition> = {}): VersionDefinition => ({
    version,
    valid_from_year,
    label: "IP reçues",
    definition: "Une information par famille.",
    unit: "nombre",
    value_type: "integer",
    measure: "flow",
    non_negative: true,
    min_value: null,
    max_value: null,
    breakdown_sum_equals_total: true,
    breakdowns: ["IP_SENDER"],
    ...patch,
  });

  it("a year takes the latest version starting on or before it; a first version without a year covers the past", () => {
    const versions = [v(1, null), v(2, 2022, { definition: "Une information par enfant." })];
    expect(versionForYear(versions, 2019)?.version).toBe(1);
    expect(versionForYear(versions, 2021)?.version).toBe(1);
    expect(versionForYear(versions, 2022)?.version).toBe(2);
    expect(versionForYear(versions, 2030)?.version).toBe(2);
    expect(versionForYear([v(1, 2023)], 2022)).toBeNull();
  });

  it("flags a break in series at each new version, saying what changed and whether values stay comparable", () => {
    const breaks = seriesBreaks([v(1, null), v(2, 2022, { definition: "Une information par enfant." }), v(3, 2024, { definition: "Une information par enfant.", label: "IP reçues (libellé revu)" })]);
    expect(breaks).toEqual([
      { year: 2022, version: 2, changes: ["définition"], breaksComparability: true },
      { year: 2024, version: 3, changes: ["libellé"], breaksComparability: false },
    ]);
  });

  it("validation rules: non-negative, integer, min/max, breakdown cells sum to the total", () => {
    const rules = v(1, null, { min_value: 0, max_value: 100, breakdowns: ["SEXE"] });
    expect(checkValues(rules, 10, { F: 4, M: 6 })).toEqual([]);
    expect(checkValues(rules, -1).map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/négatif/), expect.stringMatching(/au moins 0/)]));
    expect(checkValues(rules, 2.5)[0]!.message).toMatch(/entier/);
    expect(checkValues(rules, 101)[0]!.message).toMatch(/au plus 100/);
    expect(checkValues(rules, 10, { F: 4, M: 5 })).toEqual([{ cell: null, message: "La somme des cases (9) est différente du total (10)." }]);
    expect(checkValues({ ...rules, breakdown_sum_equals_total: false }, 10, { F: 4, M: 5 })).toEqual([]);
  });
});

describe("Art. 4 and 5: bilateral agreements", () => {
  it("Art. 5: usage rights default to 'external diffusion with the source's approval'", () => {
    expect(DEFAULT_USAGE_RIGHTS).toBe("with_approval");
    const form = new FormData();
    form.append("indicator", "8b5c8b1e-4f7e-4c5b-9a51-2a8f9c3c1d10");
    form.append("indicator", "5b4e7bd1-0a3d-4f7c-9c9a-6f0d7e1b2c3d");
    form.append("rights.5b4e7bd1-0a3d-4f7c-9c9a-6f0d7e1b2c3d", "open");
    form.append("notAvailable.5b4e7bd1-0a3d-4f7c-9c9a-6f0d7e1b2c3d", "on");
    // ADR 026: « non disponible » is allowed only where the referent ticks it (default: not allowed).
    expect(parseAgreementIndicators(form)).toEqual([
      { indicatorId: "8b5c8b1e-4f7e-4c5b-9a51-2a8f9c3c1d10", usageRights: "with_approval", notAvailableAllowed: false },
      { indicatorId: "5b4e7bd1-0a3d-4f7c-9c9a-6f0d7e1b2c3d", usageRights: "open", notAvailableAllowed: true },
    ]);
  });

  it("Art. 4: by default the person who submits may not also validate", () => {
    const parsed = agreementFormSchema.parse({ startsOn: "2019-01-28", format: "excel", statisticalLevel: "departement" });
    expect(parsed.samePersonMayValidate).toBe(false);
    expect(agreementFormSchema.parse({ startsOn: "2019-01-28", format: "api", statisticalLevel: "territory", samePersonMayValidate: "on" }).samePersonMayValidate).toBe(true);
  });

  it("Art. 4: an annual due date is a real month-day; the agreed date binds unless the campaign gives more time", () => {
    expect(isMonthDay("02-29")).toBe(true);
    expect(isMonthDay("02-30")).toBe(false);
    expect(monthDayInYear("02-29", 2025)).toBe("2025-02-28");
    expect(organisationDeadline(null, { reference_year: 2024, deadline: "2025-03-31" })).toBe("2025-03-31");
    expect(organisationDeadline("04-30", { reference_year: 2024, deadline: "2025-03-31" })).toBe("2025-04-30");
    expect(organisationDeadline("02-15", { reference_year: 2024, deadline: "2025-03-31" })).toBe("2025-03-31");
  });

  it("an agreement covers a reference year when its period overlaps it", () => {
    expect(agreementCoversYear({ starts_on: "2019-01-28", ends_on: null }, 2019)).toBe(true);
    expect(agreementCoversYear({ starts_on: "2019-01-28", ends_on: null }, 2018)).toBe(false);
    expect(agreementCoversYear({ starts_on: "2019-01-28", ends_on: "2022-06-30" }, 2022)).toBe(true);
    expect(agreementCoversYear({ starts_on: "2019-01-28", ends_on: "2022-06-30" }, 2023)).toBe(false);
  });
});

describe("campaigns: the transition table", () => {
  it("draft → open → closed, nothing else (no reopening a whole campaign, no skipping)", () => {
    expect(nextStatuses("draft")).toEqual(["open"]);
    expect(nextStatuses("open")).toEqual(["closed"]);
    expect(nextStatuses("closed")).toEqual([]);
    expect(findTransition("draft", "closed")).toBeNull();
    expect(findTransition("closed", "open")).toBeNull();
  });

  it("only roles holding manage:campaign (the referent) may move a campaign", () => {
    for (const target of ["open", "closed"] as const) {
      const permission = campaignTransitions[target]!.permission;
      const allowed = roles.filter((role) => can({ role, organisationId: "x" }, permission));
      expect(allowed).toEqual(["odpe_referent"]);
    }
  });

  it("reminders default to 14 and 3 days before the deadline and 1 day after", () => {
    const parsed = campaignFormSchema.parse({ referenceYear: "2025", opensOn: "2026-01-15", deadline: "2026-03-31", reminderDaysBefore: "3, 14", reminderDaysAfter: "1" });
    expect(parsed.reminderDaysBefore).toEqual([14, 3]);
    expect(reminderDates("2026-03-31", [14, 3], [1]).map((r) => r.date)).toEqual(["2026-03-17", "2026-03-28", "2026-04-01"]);
  });

  it("the referent's calendar lists upcoming openings, reminders and deadlines in date order", () => {
    const calendar = campaignCalendar(
      [
        { reference_year: 2025, status: "open", opens_on: "2026-01-15", deadline: "2026-03-31", reminder_days_before: [14, 3], reminder_days_after: [1] },
        { reference_year: 2026, status: "draft", opens_on: "2027-01-15", deadline: "2027-03-31", reminder_days_before: [], reminder_days_after: [] },
        { reference_year: 2024, status: "closed", opens_on: "2025-01-15", deadline: "2025-03-31", reminder_days_before: [14], reminder_days_after: [] },
      ],
      "2026-03-20",
    );
    expect(calendar.map((e) => `${e.date} ${e.kind} ${e.referenceYear}`)).toEqual([
      "2026-03-28 reminder 2025",
      "2026-03-31 deadline 2025",
      "2026-04-01 reminder 2025",
      "2027-01-15 opening 2026",
      "2027-03-31 deadline 2026",
    ]);
  });

  it("closing locks submission except for an organisation reopened after the closing, until its new deadline", () => {
    const closedAt = "2025-06-30T15:00:00Z";
    const base = { campaignStatus: "closed" as const, campaignClosedAt: closedAt, deadline: "2025-03-31", reopenedAt: null, withdrawalEffectiveDate: null };
    expect(submissionWindow(base, "2025-07-01")).toMatchObject({ open: false, reason: "closed" });
    const reopened = { ...base, deadline: "2025-07-15", reopenedAt: "2025-07-01T08:00:00Z" };
    expect(submissionWindow(reopened, "2025-07-10")).toEqual({ open: true, late: false });
    expect(submissionWindow(reopened, "2025-07-16")).toMatchObject({ open: false, reason: "reopening_expired" });
    // An extension granted while the campaign was still open does not survive its closing.
    expect(submissionWindow({ ...base, reopenedAt: "2025-04-02T08:00:00Z", deadline: "2025-07-15" }, "2025-07-10")).toMatchObject({ open: false, reason: "closed" });
  });

  it("Art. 7: from the effective date of its withdrawal an organisation cannot submit, even in an open campaign", () => {
    const open = { campaignStatus: "open" as const, campaignClosedAt: null, deadline: "2026-03-31", reopenedAt: null, withdrawalEffectiveDate: "2026-02-01" };
    expect(submissionWindow(open, "2026-01-31")).toEqual({ open: true, late: false });
    expect(submissionWindow(open, "2026-02-01")).toMatchObject({ open: false, reason: "withdrawn" });
  });
});

describe("dates and uploads", () => {
  it("today is the calendar date in Europe/Paris", () => {
    expect(todayIso(new Date("2025-12-31T23:30:00Z"))).toBe("2026-01-01");
    expect(todayIso(new Date("2025-06-30T21:59:00Z"))).toBe("2025-06-30");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
  });

  it("logos are recognised by their bytes, not their name: PNG, JPEG, WebP yes; SVG no", () => {
    expect(sniffImageType(samplePng())).toBe("image/png");
    expect(sniffImageType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe("image/jpeg");
    expect(sniffImageType(new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "))).toBe("image/webp");
    expect(sniffImageType(sampleSvg())).toBeNull();
    expect(sniffImageType(new TextEncoder().encode("GIF89a"))).toBeNull();
  });
});
