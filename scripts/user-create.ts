// npm run user:create -- --email <e-mail> --name "<Prénom Nom>" --role <role> --org <CODE>
// Creates an account (e.g. the first administrator of a production deployment)
// and prints a one-time link, valid 24 h, to set its password.
import { parseArgs } from "node:util";
import { systemActor } from "~/server/command.server";
import { createPasswordResetLink, createUser } from "~/server/users/users.server";
import { userFormSchema } from "~/domain/users";
import { getEnv } from "~/server/env.server";
import { runCli } from "./cli";

const { values } = parseArgs({
  options: { email: { type: "string" }, name: { type: "string" }, role: { type: "string" }, org: { type: "string" } },
});

await runCli(async (handle) => {
  const org = await handle.db.selectFrom("organisation").select("id").where("code", "=", values.org ?? "").executeTakeFirst();
  if (!org) {
    console.error(`Organisme inconnu : ${values.org ?? "(aucun)"} — lancez d'abord npm run observatory:import. / Unknown organisation.`);
    return 1;
  }
  const parsed = userFormSchema.safeParse({ email: values.email, displayName: values.name, role: values.role, organisationId: org.id });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`Paramètre invalide --${String(issue.path[0])} : ${issue.message}`);
    return 1;
  }
  const actor = systemActor("ligne de commande");
  const userId = await createUser(handle.db, actor, parsed.data);
  const token = await createPasswordResetLink(handle.db, actor, userId);
  const base = getEnv().PUBLIC_URL ?? `http://localhost:${getEnv().PORT}`;
  console.log(`Compte créé / account created: ${parsed.data.email}`);
  console.log(`Lien à usage unique (24 h) pour définir le mot de passe / one-time link:`);
  console.log(`${base}/reset-password/${token}`);
});
