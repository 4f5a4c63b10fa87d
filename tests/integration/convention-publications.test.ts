import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { buildAccessFixtures, type AccessFixtures } from "../support/access-fixtures";
import { systemContext } from "~/server/audit/audit.server";
import { userActor } from "~/server/command.server";
import { DomainError } from "~/server/errors.server";
import { addPublicationComment, getReleasedPublication, listPublicationComments, listReleasedPublications } from "~/server/publications/released.server";
import type { Role } from "~/domain/permissions";

const t = useTestDb();
const ctx = systemContext("test");

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("Art. 5 et Art. 2 : élus, signataires et comité de suivi", () => {
  // One set of fixtures (publicationA awaits approvals; publicationB, by B, is released); the tests run in order.
  let f: AccessFixtures;
  beforeAll(async () => {
    f = await buildAccessFixtures(t.db);
  });

  it("Art. 5 : la diffusion d'une production est annoncée à chaque signataire (correspondants et validateurs de chaque organisme) et aux élus, pas seulement à son auteur", async () => {
    const told = await t.db
      .selectFrom("notification as n")
      .innerJoin("app_user as u", "u.id", "n.user_id")
      .select(["u.role", "u.organisation_id", "n.link"])
      .where("n.kind", "=", "publication.released")
      .execute();
    const has = (role: Role, organisationId: string) => told.some((n) => n.role === role && n.organisation_id === organisationId);
    // publicationB was authored by B: A's correspondent and validator are told too, and B's.
    for (const org of [f.orgA.id, f.orgB.id]) {
      expect(has("partner_correspondent", org)).toBe(true);
      expect(has("partner_validator", org)).toBe(true);
    }
    expect(has("reader", f.orgA.id)).toBe(true);
    expect(told.find((n) => n.role === "reader")!.link).toBe(`/publications-diffusees/${f.publicationB}`);
    const mails = await t.db.selectFrom("outbox_mail").select("id").where("kind", "=", "publication.released").execute();
    expect(mails.length).toBe(told.length);
  });

  it("Art. 2 : le comité de suivi commente une production en préparation ; le fil est gardé ; un élu ne commente pas ; une production diffusée n'est plus commentée", async () => {
    const user = async (role: Role) => {
      const row = await t.db.selectFrom("app_user").select(["id", "role", "organisation_id"]).where("id", "=", f.users[role].id).executeTakeFirstOrThrow();
      return userActor({ id: row.id, displayName: ctx.actorLabel, role: row.role, organisationId: row.organisation_id }, ctx);
    };
    await addPublicationComment(t.db, await user("committee_member"), f.publicationA, "Préciser la source des effectifs de 2024.");
    const thread = await listPublicationComments(t.db, f.publicationA);
    expect(thread.map((c) => c.body)).toEqual(["Préciser la source des effectifs de 2024."]);
    const audit = await t.db.selectFrom("audit_event").select("action").where("action", "=", "publication.comment_added").execute();
    expect(audit).toHaveLength(1);

    expect((await rejection(addPublicationComment(t.db, await user("reader"), f.publicationA, "Bonjour"))).status).toBe(403);
    expect((await rejection(addPublicationComment(t.db, await user("committee_member"), f.publicationB, "Trop tard"))).status).toBe(409);
    expect((await rejection(addPublicationComment(t.db, await user("committee_member"), f.publicationA, "   "))).message).toContain("vide");
  });

  it("Art. 5 : l'espace « Publications » des élus liste les productions validées pour « Institutions : élus, directions » et les publiques, jamais un brouillon", async () => {
    const ids = async () => (await listReleasedPublications(t.db)).map((p) => p.id);
    expect(await ids()).toEqual([f.publicationB]);
    await expect(getReleasedPublication(t.db, f.publicationA)).rejects.toBeTruthy();
    await t.db.updateTable("publication").set({ audience: "institution" }).where("id", "=", f.publicationB).execute();
    expect(await ids()).toEqual([f.publicationB]);
    expect((await getReleasedPublication(t.db, f.publicationB)).audienceLabel).toBe("Institutions : élus, directions");
    await t.db.updateTable("publication").set({ audience: "onpe" }).where("id", "=", f.publicationB).execute();
    expect(await ids()).toEqual([]);
  });
});
