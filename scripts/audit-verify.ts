// npm run audit:verify — walks the audit hash chain and reports the first broken link.
import { verifyAuditChain } from "~/server/audit/audit.server";
import { runCli } from "./cli";

await runCli(async (handle) => {
  const result = await verifyAuditChain(handle.db);
  if (result.ok) {
    console.log(`Journal d'audit intègre : ${result.checked} événement(s) vérifié(s). / Audit chain intact.`);
    return 0;
  }
  console.error(
    `Journal d'audit rompu à l'événement n° ${result.brokenAt!.id} : ${result.brokenAt!.reason} (${result.checked} événement(s) valides avant). / Audit chain broken at event ${result.brokenAt!.id}.`,
  );
  return 2;
});
