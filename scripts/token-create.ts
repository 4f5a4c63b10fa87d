// npm run token:create -- --org <CODE> --name "<libellé>"
// Creates a partner-API token for an organisation and prints it, alone, on
// the last line (scripts can read it with `| tail -n 1`). The token is shown
// once: only its sha256 is stored.
import { parseArgs } from "node:util";
import { systemActor } from "~/server/command.server";
import { createApiToken } from "~/server/api/tokens.server";
import { apiTokenFormSchema } from "~/domain/api-tokens";
import { runCli } from "./cli";

const { values } = parseArgs({ options: { org: { type: "string" }, name: { type: "string" } } });

await runCli(async (handle) => {
  const org = await handle.db.selectFrom("organisation").select(["id", "code", "name"]).where("code", "=", values.org ?? "").executeTakeFirst();
  if (!org) {
    console.error(`Organisme inconnu : ${values.org ?? "(aucun, indiquez --org CODE)"} — vérifiez son code dans la liste des organismes. / Unknown organisation.`);
    return 1;
  }
  const parsed = apiTokenFormSchema.safeParse({ name: values.name });
  if (!parsed.success) {
    console.error(`Paramètre invalide --name : ${parsed.error.issues[0]!.message}`);
    return 1;
  }
  const created = await createApiToken(handle.db, systemActor("ligne de commande"), { organisationId: org.id, name: parsed.data.name, createdBy: null });
  console.log(`Jeton API « ${created.name} » créé pour ${org.name} (${org.code}) / API token created.`);
  console.log("Il ne sera plus affiché : conservez-le maintenant. En-tête : Authorization: Bearer <jeton>");
  console.log(created.token);
});
