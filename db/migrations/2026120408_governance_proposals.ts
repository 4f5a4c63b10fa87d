import { type Kysely, sql } from "kysely";

/**
 * Governance bodies and indicator proposals (convention Art. 2, 3 and 7).
 *
 * - `governance_body`: the conférence stratégique and the comité de suivi
 *   (Art. 2), with their members (`governance_member`), meetings
 *   (`governance_meeting`: date, agenda, minutes file) and decisions
 *   (`governance_decision`), which may cite another record: an edition of the
 *   dashboard adopted, an amendment, a publication whose diffusion was decided,
 *   an indicator proposal.
 * - `indicator_proposal`: a member proposes a new indicator or a change
 *   (Art. 2–3: the list is agreed beforehand); each signatory concerned
 *   records its agreement or objection (`indicator_proposal_opinion`, one per
 *   organisation); the referent adopts it into the catalogue by an amendment
 *   (Art. 7), which links proposal, opinions and amendment.
 *
 * docs/decisions/022-governance-and-proposals.md. Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table governance_body (
      code text primary key check (code in ('conference_strategique', 'comite_de_suivi')),
      name text not null,
      mission text not null
    )`.execute(db);
  await sql`
    insert into governance_body (code, name, mission) values
      ('conference_strategique', 'Conférence stratégique',
       'Définit les orientations de l''observatoire, adopte le tableau de bord annuel et les productions destinées aux élus (art. 2).'),
      ('comite_de_suivi', 'Comité de suivi',
       'Suit la mise en œuvre de la convention, examine les indicateurs, les productions en préparation et leur diffusion (art. 2).')
  `.execute(db);
  await sql`
    create table governance_member (
      id uuid primary key default gen_random_uuid(),
      body_code text not null references governance_body(code),
      organisation_id uuid not null references organisation(id),
      person_name text not null check (length(person_name) between 1 and 200),
      position text check (position is null or length(position) <= 200),
      since date not null,
      until date,
      created_at timestamptz not null default now(),
      created_by uuid references app_user(id),
      check (until is null or until >= since)
    )`.execute(db);
  await sql`create index governance_member_body_idx on governance_member(body_code)`.execute(db);
  await sql`
    create table governance_meeting (
      id uuid primary key default gen_random_uuid(),
      body_code text not null references governance_body(code),
      held_on date not null,
      title text not null check (length(title) between 1 and 200),
      agenda text not null check (length(agenda) between 1 and 10000),
      minutes_file_id uuid references stored_file(id),
      created_at timestamptz not null default now(),
      created_by uuid references app_user(id)
    )`.execute(db);
  await sql`create index governance_meeting_body_idx on governance_meeting(body_code, held_on desc)`.execute(db);
  await sql`
    create table governance_decision (
      id uuid primary key default gen_random_uuid(),
      meeting_id uuid not null references governance_meeting(id),
      number integer not null,
      text text not null check (length(text) between 1 and 2000),
      subject_type text check (subject_type in ('dashboard_edition', 'amendment', 'publication', 'indicator_proposal')),
      subject_id uuid,
      created_at timestamptz not null default now(),
      created_by uuid references app_user(id),
      unique (meeting_id, number),
      check ((subject_type is null) = (subject_id is null))
    )`.execute(db);
  await sql`create index governance_decision_subject_idx on governance_decision(subject_type, subject_id)`.execute(db);

  await sql`
    create table indicator_proposal (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('new', 'change')),
      indicator_id uuid references indicator(id),
      title text not null check (length(title) between 1 and 200),
      rationale text not null check (length(rationale) between 1 and 5000),
      definition text not null check (length(definition) between 1 and 5000),
      status text not null default 'open' check (status in ('open', 'adopted', 'rejected')),
      proposed_by uuid not null references app_user(id),
      proposer_organisation_id uuid not null references organisation(id),
      created_at timestamptz not null default now(),
      closed_at timestamptz,
      closed_by uuid references app_user(id),
      closing_reason text,
      adopted_amendment_id uuid references amendment(id),
      adopted_indicator_id uuid references indicator(id),
      check (kind = 'new' or indicator_id is not null),
      check ((status = 'adopted') = (adopted_amendment_id is not null and adopted_indicator_id is not null)),
      check ((status = 'open') = (closed_at is null))
    )`.execute(db);
  await sql`create index indicator_proposal_status_idx on indicator_proposal(status)`.execute(db);
  await sql`create index indicator_proposal_adopted_idx on indicator_proposal(adopted_indicator_id) where adopted_indicator_id is not null`.execute(db);
  await sql`
    create table indicator_proposal_opinion (
      proposal_id uuid not null references indicator_proposal(id),
      organisation_id uuid not null references organisation(id),
      position text check (position in ('agree', 'object')),
      comment text check (comment is null or length(comment) <= 2000),
      decided_by uuid references app_user(id),
      decided_at timestamptz,
      primary key (proposal_id, organisation_id),
      check ((position is null) = (decided_at is null)),
      check (position is distinct from 'object' or length(coalesce(comment, '')) > 0)
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
