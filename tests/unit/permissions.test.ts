import { describe, expect, it } from "vitest";
import { ANY_ORGANISATION, can, roles, type PermissionRequest, type Role } from "~/domain/permissions";

const OWN = "org-own";
const OTHER = "org-other";

/**
 * The full role × permission table, written out by hand (not derived from
 * the implementation): Y = allowed on any organisation, O = own organisation
 * only, - = refused.
 */
const expected: Partial<Record<PermissionRequest, Record<Role, "Y" | "O" | "-">>> = {
  "read:user": { admin: "Y", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "create:user": { admin: "Y", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "update:user": { admin: "Y", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "read:audit": { admin: "Y", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "read:organisation": { admin: "Y", odpe_referent: "Y", committee_member: "Y", partner_correspondent: "Y", partner_validator: "Y", reader: "Y" },
  "manage:organisation": { admin: "Y", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "manage:campaign": { admin: "-", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "read:campaign": { admin: "-", odpe_referent: "Y", committee_member: "Y", partner_correspondent: "O", partner_validator: "O", reader: "-" },
  "submit:submission": { admin: "-", odpe_referent: "-", committee_member: "-", partner_correspondent: "O", partner_validator: "-", reader: "-" },
  "validate:submission": { admin: "-", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "O", reader: "-" },
  "review:submission": { admin: "-", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "read:submission": { admin: "-", odpe_referent: "Y", committee_member: "-", partner_correspondent: "O", partner_validator: "O", reader: "-" },
  "decide:approval": { admin: "-", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "O", reader: "-" },
  // Art. 4: only the referent releases or deletes a workspace version held for possible personal data.
  "review:workspace": { admin: "-", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  "read:pooled_data": { admin: "-", odpe_referent: "Y", committee_member: "Y", partner_correspondent: "Y", partner_validator: "Y", reader: "-" },
  "validate:publication": { admin: "-", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  // Art. 5: the readers (elected officials, directions) read the productions released for them.
  "read:released_publication": { admin: "-", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "Y" },
  // Art. 2: the comité de suivi comments on productions being prepared (the referent and authors answer).
  "comment:publication": { admin: "-", odpe_referent: "Y", committee_member: "Y", partner_correspondent: "Y", partner_validator: "-", reader: "-" },
  "read:dashboard": { admin: "-", odpe_referent: "Y", committee_member: "Y", partner_correspondent: "Y", partner_validator: "Y", reader: "Y" },
  "manage:dashboard": { admin: "-", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  // Art. 5: members read the internal edition (true values, internal indicators); readers the public one.
  "read:internal_dashboard": { admin: "-", odpe_referent: "Y", committee_member: "Y", partner_correspondent: "Y", partner_validator: "Y", reader: "-" },
  "manage:api_token": { admin: "-", odpe_referent: "-", committee_member: "-", partner_correspondent: "O", partner_validator: "-", reader: "-" },
  "read:mailbox": { admin: "Y", odpe_referent: "Y", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
  // GDPR art. 15: everyone exports their own account's personal data (guards pass no owner); the admin any account's.
  "export:account": { admin: "Y", odpe_referent: "O", committee_member: "O", partner_correspondent: "O", partner_validator: "O", reader: "O" },
  // GDPR art. 17: only the administrator erases an account.
  "erase:account": { admin: "Y", odpe_referent: "-", committee_member: "-", partner_correspondent: "-", partner_validator: "-", reader: "-" },
};

describe("roles and permissions (convention roles table)", () => {
  for (const [permission, byRole] of Object.entries(expected) as [PermissionRequest, Record<Role, string>][]) {
    for (const role of roles) {
      const verdict = byRole[role];
      it(`${role} ${verdict === "Y" ? "may" : verdict === "O" ? "may, for its own organisation only," : "may not"} ${permission}`, () => {
        const subject = { role, organisationId: OWN };
        expect(can(subject, permission, OWN)).toBe(verdict !== "-");
        expect(can(subject, permission, OTHER)).toBe(verdict === "Y");
      });
    }
  }

  it("GDPR: every role exports its own account (no owner given), and keeps that right after an Art. 7 withdrawal", () => {
    for (const role of roles) {
      expect(can({ role, organisationId: OWN }, "export:account")).toBe(true);
      expect(can({ role, organisationId: OWN, organisationWithdrawn: true }, "export:account")).toBe(true);
      expect(can({ role, organisationId: OWN, organisationWithdrawn: true }, "erase:account", ANY_ORGANISATION)).toBe(false);
    }
  });

  it("nobody anonymous may do anything", () => {
    expect(can(null, "read:organisation")).toBe(false);
    expect(can(undefined, "read:dashboard")).toBe(false);
  });

  it("admin has no special right over data content (convention roles)", () => {
    const admin = { role: "admin" as const, organisationId: OWN };
    for (const p of ["read:submission", "read:pooled_data", "review:submission", "validate:publication"] as const) {
      expect(can(admin, p, OWN)).toBe(false);
    }
  });

  it("Art. 4: only the organisation's own validator validates its tables", () => {
    const validator = { role: "partner_validator" as const, organisationId: OWN };
    expect(can(validator, "validate:submission", OWN)).toBe(true);
    expect(can(validator, "validate:submission", OTHER)).toBe(false);
    expect(can({ role: "odpe_referent", organisationId: OWN }, "validate:submission", OWN)).toBe(false);
  });
});
