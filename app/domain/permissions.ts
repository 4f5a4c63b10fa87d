/**
 * Roles and permissions: the one table that says who may do what.
 * A permission is `action:entity:scope`; scope `own` means "of the user's own
 * organisation", `any` means "of every organisation". Checked only through
 * `can` (here) and the `require…` guards of app/server/auth/authorize.server.ts.
 */
export const roles = [
  "admin",
  "odpe_referent",
  "committee_member",
  "partner_correspondent",
  "partner_validator",
  "reader",
] as const;
export type Role = (typeof roles)[number];

export const roleLabels: Record<Role, string> = {
  admin: "Administrateur",
  odpe_referent: "Référent ODPE",
  committee_member: "Membre du comité de suivi",
  partner_correspondent: "Correspondant partenaire",
  partner_validator: "Validateur partenaire",
  reader: "Lecteur (élu, direction)",
};

export type Scope = "own" | "any";
export type Action = "read" | "create" | "update" | "manage" | "submit" | "validate" | "review" | "decide" | "export" | "erase" | "comment";
export type Entity =
  | "user"
  /**
   * A person's account as personal data (GDPR): `export:account:own` is the
   * signed-in user's own account (guards pass no owner), `any` every account.
   */
  | "account"
  | "audit"
  | "organisation"
  | "membership"
  | "organisation_data"
  | "convention"
  | "indicator"
  | "agreement"
  | "campaign"
  | "submission"
  | "pooled_data"
  | "workspace"
  | "publication"
  | "approval"
  | "dashboard"
  /** The internal edition of the annual dashboard: true values and internal-use indicators (Art. 5). */
  | "internal_dashboard"
  | "api_token"
  | "mailbox"
  /** Art. 5 mutual information: being told when another member's study or draft uses one's data. */
  | "mutual_information"
  /** Art. 2: the conférence stratégique and the comité de suivi, their meetings and decisions. */
  | "governance"
  /** Art. 2–3: proposals of new or changed indicators, agreed by the signatories concerned. */
  | "indicator_proposal"
  /** Art. 3: ad-hoc data requests to partners and their answers. */
  | "data_request"
  /**
   * Art. 5: the productions released (validated and online) for the elected
   * officials and directions (audience « Institutions : élus, directions ») and
   * the public: the readers' « Publications » space, and being told of a release.
   */
  | "released_publication";
export type Permission = `${Action}:${Entity}:${Scope}`;
/** A permission without its scope, as asked for by a guard. */
export type PermissionRequest = `${Action}:${Entity}`;

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: [
    "read:user:any",
    "create:user:any",
    "update:user:any",
    "export:account:any",
    "erase:account:any",
    "read:audit:any",
    "read:organisation:any",
    "manage:organisation:any",
    "read:mailbox:any",
  ],
  odpe_referent: [
    "export:account:own",
    "read:audit:any",
    "read:organisation:any",
    "manage:organisation:any",
    "manage:membership:any",
    "export:organisation_data:any",
    "read:convention:any",
    "manage:convention:any",
    "read:indicator:any",
    "manage:indicator:any",
    "read:agreement:any",
    "manage:agreement:any",
    "read:campaign:any",
    "manage:campaign:any",
    "read:submission:any",
    "review:submission:any",
    "read:pooled_data:any",
    "export:pooled_data:any",
    "read:workspace:any",
    "create:workspace:any",
    "update:workspace:any",
    // Art. 4: versions held by the personal-data scan are released or deleted by the referent (ADR 025).
    "review:workspace:any",
    "read:publication:any",
    "create:publication:any",
    "update:publication:any",
    "validate:publication:any",
    "comment:publication:any",
    "read:dashboard:any",
    "read:internal_dashboard:any",
    "manage:dashboard:any",
    "read:mailbox:any",
    "read:governance:any",
    "manage:governance:any",
    "read:indicator_proposal:any",
    "create:indicator_proposal:any",
    "manage:indicator_proposal:any",
    "read:data_request:any",
    "create:data_request:any",
    "manage:data_request:any",
  ],
  committee_member: [
    "export:account:own",
    "read:organisation:any",
    "read:convention:any",
    "read:indicator:any",
    "read:campaign:any",
    "read:pooled_data:any",
    "export:pooled_data:any",
    "read:workspace:any",
    "create:workspace:any",
    "update:workspace:own",
    "read:publication:any",
    "create:publication:any",
    "update:publication:own",
    // Art. 2: the comité de suivi comments on the productions being prepared.
    "comment:publication:any",
    "read:dashboard:any",
    "read:internal_dashboard:any",
    "read:governance:any",
    "read:indicator_proposal:any",
    "create:indicator_proposal:any",
    "read:data_request:any",
    "create:data_request:any",
  ],
  partner_correspondent: [
    "export:account:own",
    "read:organisation:any",
    "read:convention:any",
    "read:indicator:any",
    "read:agreement:own",
    "read:campaign:own",
    "read:submission:own",
    "submit:submission:own",
    "read:pooled_data:any",
    "export:pooled_data:any",
    "read:workspace:any",
    "create:workspace:any",
    "update:workspace:own",
    "read:publication:any",
    "create:publication:any",
    "update:publication:own",
    "comment:publication:any",
    "read:mutual_information:own",
    "read:dashboard:any",
    "read:internal_dashboard:any",
    "manage:api_token:own",
    "export:organisation_data:own",
    "read:governance:any",
    "read:indicator_proposal:any",
    "create:indicator_proposal:any",
    "read:data_request:any",
    "submit:data_request:own",
  ],
  partner_validator: [
    "export:account:own",
    "read:organisation:any",
    "read:convention:any",
    "read:indicator:any",
    "read:agreement:own",
    "read:campaign:own",
    "read:submission:own",
    "validate:submission:own",
    "decide:approval:own",
    "read:pooled_data:any",
    "export:pooled_data:any",
    "read:workspace:any",
    "read:publication:any",
    "read:dashboard:any",
    "read:internal_dashboard:any",
    "export:organisation_data:own",
    "read:governance:any",
    "read:indicator_proposal:any",
    "decide:indicator_proposal:own",
    "read:data_request:any",
  ],
  reader: ["export:account:own", "read:organisation:any", "read:dashboard:any", "read:governance:any", "read:released_publication:any"],
};

/**
 * An owner no organisation has: asking `can(subject, p, ANY_ORGANISATION)`
 * holds only for a permission granted with the `any` scope (e.g. the list of
 * every organisation's agreements).
 */
export const ANY_ORGANISATION = "*";

export interface Subject {
  role: Role;
  organisationId: string;
  /**
   * Art. 7: the subject's organisation has withdrawn from the convention and
   * the withdrawal has taken effect. Set by the authorization guards.
   */
  organisationWithdrawn?: boolean;
}

/**
 * Art. 7 and Art. 5–6: once its withdrawal takes effect, an organisation's
 * users keep only these permissions: its data remain its property, so they
 * may still export them, and its validators still approve or refuse any
 * external diffusion of them (Art. 5); everything else (submitting included)
 * is refused. A person's right of access to their own personal data (GDPR
 * art. 15, `export:account`) does not end with the convention either.
 */
export const permissionsKeptAfterWithdrawal: readonly PermissionRequest[] = ["export:organisation_data", "decide:approval", "export:account"];

/**
 * May `subject` do `request` on something owned by `ownerOrganisationId`?
 * Without an owner, an `own` permission answers for the subject's own organisation.
 */
export function can(subject: Subject | null | undefined, request: PermissionRequest, ownerOrganisationId?: string): boolean {
  if (!subject) return false;
  if (subject.organisationWithdrawn && !permissionsKeptAfterWithdrawal.includes(request)) return false;
  const granted = rolePermissions[subject.role];
  if (granted.includes(`${request}:any`)) return true;
  if (!granted.includes(`${request}:own`)) return false;
  return ownerOrganisationId === undefined || ownerOrganisationId === subject.organisationId;
}

/**
 * The roles holding `request` (with any scope): who to tell about something,
 * e.g. the validators of an organisation (`decide:approval`). Recipients are
 * chosen through the permission table, never by naming roles elsewhere.
 */
export function rolesHolding(request: PermissionRequest): Role[] {
  return roles.filter((role) => rolePermissions[role].some((p) => p === `${request}:any` || p === `${request}:own`));
}
