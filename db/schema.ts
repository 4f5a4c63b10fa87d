/**
 * Type-only description of the database, kept in step with db/migrations.
 * Import the aliases (`User`, `NewUser`…) rather than the table interfaces.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A calendar date, read and written as ISO text "YYYY-MM-DD" (see db.server.ts). */
type IsoDate = string;
type IntArray = ColumnType<number[], number[] | undefined, number[]>;

export type Role =
  | "admin"
  | "odpe_referent"
  | "committee_member"
  | "partner_correspondent"
  | "partner_validator"
  | "reader";

export interface ObservatoryTable {
  id: Generated<number>;
  code: string;
  name: string;
  label: string;
  departement_code: string;
  departement_name: string;
  contact_email: string | null;
  is_demo: Generated<boolean>;
  updated_at: Timestamp;
}

export interface StoredFileTable {
  id: Generated<string>;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  /** Buffer with pg, Uint8Array with PGlite: read through app/server/storage/files.server.ts. */
  content: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
  created_at: Timestamp;
  created_by: string | null;
}

export interface OrganisationTable {
  id: Generated<string>;
  code: string;
  name: string;
  kind: string;
  note: string | null;
  is_observatory_team: Generated<boolean>;
  logo_file_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Art. 7: the date it became a member and the text that made it one (null = the framework convention). */
  member_since: IsoDate | null;
  joined_amendment_id: string | null;
  /** Art. 7: date of the registered letter; the effective date is three calendar months later. */
  withdrawal_notice_date: IsoDate | null;
  withdrawal_effective_date: IsoDate | null;
  withdrawal_note: string | null;
}

export interface OrganisationContactTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  job_title: string | null;
  email: string | null;
  phone: string | null;
  created_at: Timestamp;
}

export interface ConventionTable {
  id: Generated<number>;
  title: string;
  signature_date: IsoDate;
  note: string | null;
  document_file_id: string | null;
  updated_at: Timestamp;
}

export type AmendmentKind = "new_partner" | "new_data" | "other";

export interface AmendmentTable {
  id: Generated<string>;
  number: number;
  signed_on: IsoDate;
  kind: AmendmentKind;
  title: string;
  description: string | null;
  document_file_id: string | null;
  created_at: Timestamp;
  created_by: string | null;
}

export interface IndicatorDomainTable {
  code: string;
  label: string;
  position: number;
}

export interface CodelistTable {
  code: string;
  label: string;
}

export interface CodelistItemTable {
  codelist_code: string;
  code: string;
  label: string;
  position: number;
  /** 1 = as loaded from conventions/; each change in the portal adds one (codelist_item_version). */
  version: Generated<number>;
}

/** One change of a code-list item's label made in the portal (append-only). */
export interface CodelistItemVersionTable {
  codelist_code: string;
  code: string;
  version: number;
  label: string;
  previous_label: string;
  change_note: string;
  created_at: Timestamp;
  created_by: string | null;
}

export interface IndicatorTable {
  id: Generated<string>;
  code: string;
  domain_code: string;
  secrecy_threshold: Generated<number>;
  introduced_by_amendment_id: string | null;
  evidence: string | null;
  /** How several organisations' values make one figure (app/domain/aggregation.ts); null = not declared. */
  aggregation: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IndicatorVersionTable {
  id: Generated<string>;
  indicator_id: string;
  version: number;
  /** null on a first version means "since the origin of the series". */
  valid_from_year: number | null;
  label: string;
  definition: string | null;
  unit: string;
  value_type: "integer" | "decimal";
  measure: "stock" | "flow";
  non_negative: Generated<boolean>;
  min_value: number | null;
  max_value: number | null;
  breakdown_sum_equals_total: Generated<boolean>;
  change_note: string | null;
  created_at: Timestamp;
  created_by: string | null;
}

export interface IndicatorVersionBreakdownTable {
  indicator_version_id: string;
  position: number;
  codelist_code: string;
}

export interface IndicatorProviderTable {
  indicator_id: string;
  organisation_id: string;
}

export type AgreementFormat = "excel" | "api";
export type StatisticalLevel = "departement" | "territory";
export type UsageRights = "internal" | "with_approval" | "open";

export interface AgreementTable {
  id: Generated<string>;
  organisation_id: string;
  reference: string | null;
  signed_on: IsoDate | null;
  starts_on: IsoDate;
  ends_on: IsoDate | null;
  format: ColumnType<AgreementFormat, AgreementFormat | undefined, AgreementFormat>;
  statistical_level: ColumnType<StatisticalLevel, StatisticalLevel | undefined, StatisticalLevel>;
  /** "MM-DD"; null = the campaign's deadline. */
  due_month_day: string | null;
  same_person_may_validate: Generated<boolean>;
  document_file_id: string | null;
  note: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AgreementIndicatorTable {
  agreement_id: string;
  indicator_id: string;
  usage_rights: ColumnType<UsageRights, UsageRights | undefined, UsageRights>;
  /** The organisation may declare this indicator's cells « non disponible » (ND/NC) — 2026120413_not_available. */
  not_available_allowed: Generated<boolean>;
}

/** « non disponible » / « non concerné » (app/domain/not-available.ts). */
export type NotAvailableCode = "ND" | "NC";

export type CampaignStatus = "draft" | "open" | "closed";

export interface CampaignTable {
  id: Generated<string>;
  reference_year: number;
  opens_on: IsoDate;
  deadline: IsoDate;
  reminder_days_before: IntArray;
  reminder_days_after: IntArray;
  status: ColumnType<CampaignStatus, CampaignStatus | undefined, CampaignStatus>;
  note: string | null;
  opened_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  created_at: Timestamp;
  created_by: string | null;
  updated_at: Timestamp;
}

export type ExpectedSubmissionStatus = "expected";

export interface ExpectedSubmissionTable {
  id: Generated<string>;
  campaign_id: string;
  organisation_id: string;
  agreement_id: string | null;
  status: ColumnType<ExpectedSubmissionStatus, ExpectedSubmissionStatus | undefined, ExpectedSubmissionStatus>;
  deadline: IsoDate;
  reopened_at: NullableTimestamp;
  reopened_by: string | null;
  reopen_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  organisation_id: string;
  role: Role;
  password_hash: string | null;
  status: Generated<"active" | "disabled">;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_login_at: NullableTimestamp;
  /** GDPR erasure (2026112307_personal_data): set once, with the pseudonym's number. */
  erased_at: NullableTimestamp;
  erasure_number: number | null;
}

export interface UserSessionTable {
  id: string;
  /** sha256 (hex) of the token's secret part (2026120415_session_hash, ADR 028); the cookie carries `<id>.<secret>`. */
  secret_hash: string;
  user_id: string;
  expires_at: Timestamp;
  created_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface LoginAttemptTable {
  id: Generated<string>;
  email: string;
  ip: string;
  succeeded: boolean;
  attempted_at: Timestamp;
}

export interface PasswordResetTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
}

export interface AuditEventTable {
  id: Generated<string>;
  occurred_at: Timestamp;
  actor_user_id: string | null;
  actor_label: string;
  organisation_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  summary: string;
  ip: string | null;
  request_id: string | null;
  details: ColumnType<unknown, string | null | undefined, string | null>;
  prev_hash: string;
  hash: string;
  /** Fingerprint of the HMAC key of `hash`; null for the sealed sha256 events written before ADR 024. */
  key_id: string | null;
}

export type GovernanceBodyCode = "conference_strategique" | "comite_de_suivi";

export interface GovernanceBodyTable {
  code: GovernanceBodyCode;
  name: string;
  mission: string;
}

export interface GovernanceMemberTable {
  id: Generated<string>;
  body_code: GovernanceBodyCode;
  organisation_id: string;
  person_name: string;
  position: string | null;
  since: IsoDate;
  until: IsoDate | null;
  created_at: Timestamp;
  created_by: string | null;
}

export interface GovernanceMeetingTable {
  id: Generated<string>;
  body_code: GovernanceBodyCode;
  held_on: IsoDate;
  title: string;
  agenda: string;
  minutes_file_id: string | null;
  created_at: Timestamp;
  created_by: string | null;
}

export type DecisionSubjectType = "dashboard_edition" | "amendment" | "publication" | "indicator_proposal";

export interface GovernanceDecisionTable {
  id: Generated<string>;
  meeting_id: string;
  number: number;
  text: string;
  subject_type: DecisionSubjectType | null;
  subject_id: string | null;
  created_at: Timestamp;
  created_by: string | null;
}

export type IndicatorProposalStatus = "open" | "adopted" | "rejected";

export interface IndicatorProposalTable {
  id: Generated<string>;
  kind: "new" | "change";
  indicator_id: string | null;
  title: string;
  rationale: string;
  definition: string;
  status: ColumnType<IndicatorProposalStatus, IndicatorProposalStatus | undefined, IndicatorProposalStatus>;
  proposed_by: string;
  proposer_organisation_id: string;
  created_at: Timestamp;
  closed_at: NullableTimestamp;
  closed_by: string | null;
  closing_reason: string | null;
  adopted_amendment_id: string | null;
  adopted_indicator_id: string | null;
}

export interface IndicatorProposalOpinionTable {
  proposal_id: string;
  organisation_id: string;
  position: "agree" | "object" | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: NullableTimestamp;
}

export interface DataRequestTable {
  id: Generated<string>;
  title: string;
  question: string;
  answer_format: "file" | "figures";
  due_on: IsoDate;
  status: ColumnType<"open" | "closed", "open" | "closed" | undefined, "open" | "closed">;
  requested_by: string;
  requester_organisation_id: string;
  created_at: Timestamp;
  closed_at: NullableTimestamp;
}

/** One figure of an answer typed in the portal. */
export interface RequestFigure {
  label: string;
  value: number;
}

export interface DataRequestRecipientTable {
  request_id: string;
  organisation_id: string;
  status: ColumnType<"pending" | "answered" | "declined", "pending" | "answered" | "declined" | undefined, "pending" | "answered" | "declined">;
  answer_comment: string | null;
  answer_figures: ColumnType<RequestFigure[] | null, string | null | undefined, string | null>;
  answer_file_id: string | null;
  answered_by: string | null;
  answered_at: NullableTimestamp;
}

export interface Database {
  observatory: ObservatoryTable;
  stored_file: StoredFileTable;
  organisation: OrganisationTable;
  app_user: UserTable;
  user_session: UserSessionTable;
  login_attempt: LoginAttemptTable;
  password_reset: PasswordResetTable;
  audit_event: AuditEventTable;
  organisation_contact: OrganisationContactTable;
  convention: ConventionTable;
  amendment: AmendmentTable;
  indicator_domain: IndicatorDomainTable;
  codelist: CodelistTable;
  codelist_item: CodelistItemTable;
  codelist_item_version: CodelistItemVersionTable;
  indicator: IndicatorTable;
  indicator_version: IndicatorVersionTable;
  indicator_version_breakdown: IndicatorVersionBreakdownTable;
  indicator_provider: IndicatorProviderTable;
  agreement: AgreementTable;
  agreement_indicator: AgreementIndicatorTable;
  campaign: CampaignTable;
  expected_submission: ExpectedSubmissionTable;
  submission: SubmissionTable;
  submission_version: SubmissionVersionTable;
  submission_value: SubmissionValueTable;
  submission_line_comment: SubmissionLineCommentTable;
  accepted_value: AcceptedValueTable;
  submission_comment: SubmissionCommentTable;
  api_token: ApiTokenTable;
  api_rate_bucket: ApiRateBucketTable;
  api_ip_failure_bucket: ApiIpFailureBucketTable;
  outbox_mail: OutboxMailTable;
  notification: NotificationTable;
  workspace_document: WorkspaceDocumentTable;
  workspace_document_version: WorkspaceDocumentVersionTable;
  workspace_document_source: WorkspaceDocumentSourceTable;
  publication: PublicationTable;
  publication_item: PublicationItemTable;
  publication_attachment: PublicationAttachmentTable;
  publication_approval: PublicationApprovalTable;
  publication_event: PublicationEventTable;
  publication_comment: PublicationCommentTable;
  export_notice: ExportNoticeTable;
  mutual_information_notice: MutualInformationNoticeTable;
  derived_indicator: DerivedIndicatorTable;
  dashboard_key_figure: DashboardKeyFigureTable;
  dashboard_edition: DashboardEditionTable;
  dashboard_edition_comment: DashboardEditionCommentTable;
  dashboard_edition_file: DashboardEditionFileTable;
  onpe_transmission: OnpeTransmissionTable;
  population_vintage: PopulationVintageTable;
  population_estimate: PopulationEstimateTable;
  rate_definition: RateDefinitionTable;
  reference_rate: ReferenceRateTable;
  governance_body: GovernanceBodyTable;
  governance_member: GovernanceMemberTable;
  governance_meeting: GovernanceMeetingTable;
  governance_decision: GovernanceDecisionTable;
  indicator_proposal: IndicatorProposalTable;
  indicator_proposal_opinion: IndicatorProposalOpinionTable;
  data_request: DataRequestTable;
  data_request_recipient: DataRequestRecipientTable;
  disclosure_release: DisclosureReleaseTable;
  disclosure_cell: DisclosureCellTable;
  disclosure_withdrawal: DisclosureWithdrawalTable;
  published_artefact: PublishedArtefactTable;
  audit_anchor: AuditAnchorTable;
}

export type Observatory = Selectable<ObservatoryTable>;
export type Organisation = Selectable<OrganisationTable>;
export type NewOrganisation = Insertable<OrganisationTable>;
export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type AuditEvent = Selectable<AuditEventTable>;
export type StoredFile = Selectable<StoredFileTable>;
export type OrganisationContact = Selectable<OrganisationContactTable>;
export type Convention = Selectable<ConventionTable>;
export type Amendment = Selectable<AmendmentTable>;
export type Indicator = Selectable<IndicatorTable>;
export type IndicatorVersion = Selectable<IndicatorVersionTable>;
export type NewIndicatorVersion = Insertable<IndicatorVersionTable>;
export type Agreement = Selectable<AgreementTable>;
export type Campaign = Selectable<CampaignTable>;
export type ExpectedSubmission = Selectable<ExpectedSubmissionTable>;

// ── Collection (Art. 4) ────────────────────────────────────────────────
export type SubmissionStatus = "draft" | "submitted" | "institution_validated" | "accepted" | "returned";
export type VersionStatus = SubmissionStatus | "superseded";

export interface SubmissionTable {
  id: Generated<string>;
  campaign_id: string;
  organisation_id: string;
  status: Generated<SubmissionStatus>;
  current_version_id: string | null;
  version_count: Generated<number>;
  first_transmitted_at: NullableTimestamp;
  accepted_at: NullableTimestamp;
  last_activity_at: Timestamp;
  created_at: Timestamp;
}

export interface SubmissionVersionTable {
  id: Generated<string>;
  submission_id: string;
  number: number;
  file_id: string;
  uploaded_by: string | null;
  uploaded_via: "web" | "api";
  api_token_id: string | null;
  uploaded_at: Timestamp;
  status: Generated<VersionStatus>;
  error_count: Generated<number>;
  warning_count: Generated<number>;
  /** JSON array of problems (see app/domain/problems.ts). */
  problems: ColumnType<unknown, string | undefined, string>;
  warnings_comment: string | null;
  submitted_by: string | null;
  submitted_at: NullableTimestamp;
  validated_by: string | null;
  validated_at: NullableTimestamp;
  reviewed_by: string | null;
  reviewed_at: NullableTimestamp;
  return_reason: string | null;
  /** The annotated workbook, stored the first time it is downloaded (2026120407_annotated_workbooks). */
  annotated_file_id: string | null;
}

export interface SubmissionValueTable {
  version_id: string;
  indicator_version_id: string;
  /** '' for the total, else 'LIST=CODE|LIST=CODE' in breakdown order. */
  breakdown_key: Generated<string>;
  value: number | null;
  cell_ref: string;
  /** ND/NC when the cell was declared not available (value then null) — 2026120413_not_available. */
  not_available_code: ColumnType<NotAvailableCode | null, NotAvailableCode | null | undefined, NotAvailableCode | null>;
  not_available_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The correspondent's comment on one line of a version (workbook column G); only non-empty ones. */
export interface SubmissionLineCommentTable {
  version_id: string;
  indicator_version_id: string;
  breakdown_key: Generated<string>;
  body: string;
}

export interface AcceptedValueTable {
  organisation_id: string;
  reference_year: number;
  indicator_id: string;
  indicator_version_id: string;
  breakdown_key: Generated<string>;
  value: number | null;
  source_version_id: string;
  accepted_at: Timestamp;
  /** ND/NC when the accepted cell was declared not available (value then null). */
  not_available_code: ColumnType<NotAvailableCode | null, NotAvailableCode | null | undefined, NotAvailableCode | null>;
  not_available_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SubmissionCommentTable {
  id: Generated<string>;
  submission_id: string;
  version_id: string | null;
  author_id: string | null;
  author_label: string;
  kind: Generated<"comment" | "return" | "acceptance" | "system">;
  body: string;
  created_at: Timestamp;
}

export interface ApiTokenTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  token_hash: string;
  token_prefix: string;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  revoked_by: string | null;
}

export interface ApiRateBucketTable {
  token_id: string;
  window_start: Timestamp;
  count: Generated<number>;
}

export type Submission = Selectable<SubmissionTable>;
export type SubmissionVersion = Selectable<SubmissionVersionTable>;
export type AcceptedValue = Selectable<AcceptedValueTable>;
export type ApiToken = Selectable<ApiTokenTable>;

/** A mail of the outbox (db/migrations/2026112303_jobs_outbox.ts, app/server/mail/outbox.server.ts). */
export type OutboxMailStatus = "pending" | "sent" | "failed";
export type MailTransportKind = "smtp" | "capture";

export interface OutboxMailTable {
  id: Generated<string>;
  dedupe_key: string;
  kind: Generated<string>;
  to_addresses: string[];
  reply_to: string | null;
  subject: string;
  text_body: string;
  html_body: string | null;
  organisation_id: string | null;
  status: ColumnType<OutboxMailStatus, OutboxMailStatus | undefined, OutboxMailStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  last_attempt_at: NullableTimestamp;
  transport: MailTransportKind | null;
  message_id: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
  /** When the addresses and body were blanked (erasure of the recipient or retention purge). */
  redacted_at: NullableTimestamp;
}

/** An in-app notification for one user (app/server/notifications/notifications.server.ts). */
export interface NotificationTable {
  id: Generated<string>;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  dedupe_key: string;
  created_at: Timestamp;
  read_at: NullableTimestamp;
}

export type OutboxMail = Selectable<OutboxMailTable>;
export type Notification = Selectable<NotificationTable>;

// ── Annual dashboard (ADR 010) ──────────────────────────────────────────
/** A rate in the catalogue: numerator / denominator × multiplier (e.g. per 1,000 minors). */
export interface DerivedIndicatorTable {
  id: Generated<string>;
  code: string;
  domain_code: string;
  label: string;
  definition: string | null;
  numerator_indicator_id: string;
  denominator_indicator_id: string;
  multiplier: number;
  unit: string;
  decimals: number;
  created_at: Timestamp;
  created_by: string | null;
}

export interface DashboardKeyFigureTable {
  position: number;
  /** An indicator code or a derived indicator code. */
  code: string;
}

export type DashboardEditionStatus = "draft" | "validated" | "published" | "transmitted";

export interface DashboardEditionTable {
  id: Generated<string>;
  reference_year: number;
  number: number;
  status: ColumnType<DashboardEditionStatus, DashboardEditionStatus | undefined, DashboardEditionStatus>;
  foreword: Generated<string>;
  correction_note: string | null;
  previous_edition_id: string | null;
  /** The internal edition frozen at publication (app/domain/dashboard.ts `DashboardEdition`). */
  snapshot: ColumnType<unknown, string | null | undefined, string | null>;
  /** The public edition (secrecy applied, internal indicators left out), frozen at publication. */
  public_snapshot: ColumnType<unknown, string | null | undefined, string | null>;
  snapshot_sha256: string | null;
  created_at: Timestamp;
  created_by: string | null;
  updated_at: Timestamp;
  validated_at: NullableTimestamp;
  validated_by: string | null;
  published_at: NullableTimestamp;
  published_by: string | null;
  superseded_at: NullableTimestamp;
  superseded_by_edition_id: string | null;
}

export interface DashboardEditionCommentTable {
  edition_id: string;
  domain_code: string;
  body: string;
  updated_at: Timestamp;
  updated_by: string | null;
}

export type DashboardEditionFileKind = "pdf_internal" | "pdf_public" | "xlsx_internal" | "xlsx_public" | "onpe_package";

export interface DashboardEditionFileTable {
  edition_id: string;
  kind: DashboardEditionFileKind;
  file_id: string;
}

export interface OnpeTransmissionTable {
  id: Generated<string>;
  edition_id: string;
  transmitted_on: IsoDate;
  recorded_by: string | null;
  recorded_by_label: string;
  recorded_at: Timestamp;
  package_file_id: string;
  package_sha256: string;
  note: string | null;
}

export type DerivedIndicator = Selectable<DerivedIndicatorTable>;
export type DashboardEditionRow = Selectable<DashboardEditionTable>;
export type OnpeTransmission = Selectable<OnpeTransmissionTable>;

// ── Pooled data, workspace and diffusion (ADR 011) ──────────────────────
type StringArray = ColumnType<string[], string[] | undefined, string[]>;
/** jsonb: read as parsed JSON, written as JSON text. */
type Json<T> = ColumnType<T, string, string>;

export type DocumentKind = "study" | "analysis" | "initiative" | "report" | "other";

export interface WorkspaceDocumentTable {
  id: Generated<string>;
  title: string;
  summary: Generated<string>;
  kind: DocumentKind;
  domain_codes: StringArray;
  owner_organisation_id: string;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  current_version_id: string | null;
  version_count: Generated<number>;
  /** Generated (french configuration, accents folded); never written. */
  search_vector: ColumnType<string, never, never>;
}

export interface WorkspaceDocumentVersionTable {
  id: Generated<string>;
  document_id: string;
  number: number;
  file_id: string;
  note: string | null;
  uploaded_by: string | null;
  uploaded_at: Generated<Date>;
  /** Art. 4: held for the referent's review (personal data suspected); null when it went straight through. */
  held_at: Date | null;
  /** The findings of the personal-data scan (French explanations, values masked); set with `held_at`. */
  hold_reasons: ColumnType<unknown | null, string | null, string | null>;
  hold_released_at: Date | null;
  hold_released_by: string | null;
  hold_release_reason: string | null;
}

export interface WorkspaceDocumentSourceTable {
  document_id: string;
  organisation_id: string;
}

export type PublicationStatus = "draft" | "awaiting_sources" | "awaiting_referent" | "published" | "rejected" | "unpublished";
export type PublicationAudience = "extranet" | "onpe" | "press" | "institution";

export interface PublicationTable {
  id: Generated<string>;
  title: string;
  audience: PublicationAudience;
  body_markdown: Generated<string>;
  status: Generated<PublicationStatus>;
  author_id: string;
  organisation_id: string;
  content_hash: string;
  content_changed_at: Generated<Date>;
  submitted_at: NullableTimestamp;
  published_at: NullableTimestamp;
  published_by: string | null;
  rejected_at: NullableTimestamp;
  rejected_by: string | null;
  rejection_reason: string | null;
  unpublished_at: NullableTimestamp;
  unpublished_by: string | null;
  unpublish_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PublicationItemTable {
  id: Generated<string>;
  publication_id: string;
  position: number;
  kind: "chart" | "table";
  title: string;
  /** ExplorerQuery (app/domain/explorer.ts). */
  query: Json<unknown>;
  /** DataSnapshot (app/domain/explorer.ts): the frozen values with their lineage. */
  snapshot: Json<unknown>;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface PublicationAttachmentTable {
  publication_id: string;
  document_id: string;
  document_version_id: string;
  position: number;
  attached_by: string | null;
  attached_at: Generated<Date>;
}

export type PublicationApprovalStatus = "pending" | "approved" | "refused" | "invalidated" | "cancelled";

export interface PublicationApprovalTable {
  id: Generated<string>;
  publication_id: string;
  organisation_id: string;
  content_hash: string;
  status: Generated<PublicationApprovalStatus>;
  requested_at: Generated<Date>;
  requested_by: string | null;
  decided_at: NullableTimestamp;
  decided_by: string | null;
  decided_by_label: string | null;
  reason: string | null;
  closed_at: NullableTimestamp;
  close_reason: string | null;
}

export interface PublicationEventTable {
  id: Generated<string>;
  publication_id: string;
  occurred_at: Generated<Date>;
  actor_user_id: string | null;
  actor_label: string;
  transition: string;
  from_status: string | null;
  to_status: string;
  content_hash: string;
  note: string | null;
  /** The published content, kept with the `validate` event (history survives unpublishing). */
  content: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface MutualInformationNoticeTable {
  subject_type: "publication" | "workspace_document";
  subject_id: string;
  organisation_id: string;
  notified_at: Generated<Date>;
}

export type WorkspaceDocument = Selectable<WorkspaceDocumentTable>;
/** Art. 2: a comment of the comité de suivi (or the referent, or an author) on a production being prepared. */
export interface PublicationCommentTable {
  id: Generated<string>;
  publication_id: string;
  author_id: string | null;
  author_label: string;
  body: string;
  created_at: Timestamp;
}

/** Art. 5: an export of pooled data that a source organisation is to be told of (daily digest). */
export interface ExportNoticeTable {
  id: Generated<string>;
  organisation_id: string;
  exporter_organisation_id: string | null;
  exporter_label: string;
  indicator_code: string;
  indicator_label: string;
  exported_at: Timestamp;
  notified_at: Timestamp | null;
}

export type Publication = Selectable<PublicationTable>;
export type PublicationApproval = Selectable<PublicationApprovalTable>;


// ── Rates and reference populations (ADR 018, ADR 019) ─────────────────

export interface PopulationVintageTable {
  id: Generated<string>;
  vintage_year: number;
  status: "provisional" | "final";
  label: string;
  source: string;
  filename: string;
  imported_at: Generated<Date>;
  imported_by: string | null;
}

export interface PopulationEstimateTable {
  vintage_id: string;
  geo_level: "departement" | "region" | "france";
  geo_code: string;
  reference_year: number;
  sex: "F" | "M";
  age: number;
  population: number;
}

export interface RateDefinitionTable {
  id: Generated<string>;
  code: string;
  domain_code: string;
  position: Generated<number>;
  label: string;
  definition: string | null;
  numerator_code: string;
  numerator_universe: Json<unknown>;
  population_universe: Json<unknown>;
  multiplier: number;
  unit: string;
  decimals: number;
  breakdown_rules: Json<unknown>;
  source_convention: string;
  created_at: Generated<Date>;
}

export interface ReferenceRateTable {
  id: Generated<string>;
  rate_code: string;
  geo_level: "region" | "france";
  geo_code: string;
  geo_label: string;
  reference_year: number;
  value: number;
  source: string;
  filename: string;
  imported_at: Generated<Date>;
  imported_by: string | null;
}

// ── Disclosure ledger (ADR 015): append-only ─────────────────────

export type DisclosureReleaseKind = "dashboard_edition" | "publication" | "onpe_package";

export interface DisclosureReleaseTable {
  id: Generated<string>;
  kind: DisclosureReleaseKind;
  /** The edition or publication released. */
  subject_id: string;
  label: string;
  released_at: Timestamp;
  /** The user account that released (its name is read from app_user: erasure-safe). */
  released_by: string | null;
  cell_count: number;
  secret_count: number;
}

export interface DisclosureCellTable {
  id: Generated<string>;
  release_id: string;
  /** Stable statistic key (app/server/secrecy/statistics.server.ts): indicator|year|scope|breakdown key. */
  stat_key: string;
  indicator_code: string;
  reference_year: number;
  /** One organisation's value; null for an aggregate. */
  organisation_id: string | null;
  /** An aggregate: the organisations it adds up (sorted ids). */
  organisation_ids: ColumnType<unknown, string | null, never>;
  breakdown_key: string;
  /** The value shown; null when secret (or not available). */
  value: number | null;
  secret: boolean;
  /** Fingerprint of the organisation-level values the cell was computed from (change detection). */
  source_hash: string | null;
  released_at: Timestamp;
}

export interface DisclosureWithdrawalTable {
  id: Generated<string>;
  release_id: string;
  withdrawn_at: Timestamp;
  withdrawn_by: string | null;
  reason: string;
}

/** Unknown or revoked Bearer tokens per client address and minute (ADR 017). */
export interface ApiIpFailureBucketTable {
  ip: string;
  window_start: Timestamp;
  count: number;
}
/** A published page rendered once, with its compressed variants (ADR 021). */
export interface PublishedArtefactTable {
  key: string;
  scope: string;
  etag: string;
  content_type: string;
  body: Buffer;
  body_gzip: Buffer;
  body_br: Buffer;
  created_at: Generated<Date>;
}

/** The audit chain's head at a moment, signed with the HMAC key (ADR 024); append-only. */
export interface AuditAnchorTable {
  id: Generated<string>;
  /** `seal`: the sha256 events before ADR 024 (unsigned, written by the migration); `anchor`: a signed anchor. */
  kind: "seal" | "anchor";
  /** Why it was written: `migration`, `daily`, `backup`, `onpe_package`, `manual`. */
  reason: string;
  created_at: Timestamp;
  event_count: string;
  head_event_id: string | null;
  head_hash: string;
  key_id: string | null;
  signature: string | null;
}
