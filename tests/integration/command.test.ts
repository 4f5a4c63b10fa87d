import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeUser } from "../factories";
import { run, systemActor, userActor, actorMay, type Actor } from "~/server/command.server";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import type { Role } from "~/domain/permissions";

const t = useTestDb();

async function actor(role: Role, organisationId?: string): Promise<Actor> {
  const organisation = organisationId ?? (await makeOrganisation(t.db)).id;
  const user = await makeUser(t.db, role, organisation);
  return userActor({ id: user.id, displayName: "Claire Martin", role, organisationId: organisation }, { ...systemContext(), actorUserId: user.id });
}

const auditCount = async () => Number((await t.db.selectFrom("audit_event").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

describe("run: one shape for every command (ADR 034)", () => {
  it("refuses an actor without the permission before opening the transaction, with a French 403", async () => {
    const reader = await actor("reader");
    let ran = false;
    const error = await run(t.db, reader, "manage:organisation", async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("forbidden");
    expect((error as DomainError).message).toMatch(/droits/);
    expect(ran).toBe(false);
  });

  it("commits the change and its audit event together, and rolls both back when the body fails", async () => {
    const referent = await actor("odpe_referent");
    const before = await auditCount();
    await run(t.db, referent, "manage:organisation", async (_trx, command) => {
      await command.audit({ action: "test.done", entityType: "test", summary: "Essai." });
    });
    expect(await auditCount()).toBe(before + 1);
    await expect(
      run(t.db, referent, "manage:organisation", async (_trx, command) => {
        await command.audit({ action: "test.failed", entityType: "test", summary: "Essai." });
        throw new DomainError("conflict", "Conflit.");
      }),
    ).rejects.toThrow("Conflit.");
    expect(await auditCount()).toBe(before + 1);
  });

  it("checks an owner read inside the command: another organisation's thing is « introuvable » when the actor may not even read it", async () => {
    const correspondent = await actor("partner_correspondent");
    const other = await makeOrganisation(t.db);
    const refusal = await run(t.db, correspondent, "submit:submission", async (_trx, command) => {
      command.require("submit:submission", other.id, { readPermission: "read:submission", what: "Ce dossier" });
    }).catch((e: unknown) => e);
    expect((refusal as DomainError).code).toBe("not_found");
    await expect(
      run(t.db, correspondent, "submit:submission", async (_trx, command) => {
        command.require("submit:submission", correspondent.kind === "user" ? correspondent.organisationId : "", undefined);
        return "ok";
      }),
    ).resolves.toBe("ok");
  });

  it("the system actor (CLI, jobs, seeding) may run every command and is audited as « système »", async () => {
    const system = systemActor();
    expect(actorMay(system, "manage:organisation")).toBe(true);
    await run(t.db, system, "manage:organisation", async (_trx, command) => {
      await command.audit({ action: "test.system", entityType: "test", summary: "Essai système." });
    });
    const last = await t.db.selectFrom("audit_event").select(["actor_label", "actor_user_id"]).where("action", "=", "test.system").executeTakeFirstOrThrow();
    expect(last).toEqual({ actor_label: "système", actor_user_id: null });
  });

  it("joins the caller's transaction instead of opening a nested one", async () => {
    const referent = await actor("odpe_referent");
    await t.db.transaction().execute(async (outer) => {
      await run(outer, referent, "manage:organisation", async (trx) => {
        expect(trx).toBe(outer);
      });
    });
  });
});
