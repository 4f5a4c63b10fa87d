// npm run audit:verify [-- --anchor <audit-anchor.json> …] — checks the audit chain with the HMAC key(s)
// against every anchor of the database and the anchors kept outside it (ADR 024); reports the first bad
// event (rewriting) and truncation. Exit 0 intact, 2 tampered.
import path from "node:path";
import { parseArgs } from "node:util";
import { describeVerification, verifyAuditChain } from "~/server/audit/audit.server";
import { readAnchorFile } from "~/server/audit/anchor.server";
import { runCli } from "./cli";

const { values } = parseArgs({ options: { anchor: { type: "string", multiple: true } } });

await runCli(async (handle) => {
  const externalAnchors = (values.anchor ?? []).map((file) => readAnchorFile(path.resolve(file)));
  const result = await verifyAuditChain(handle.db, { externalAnchors });
  const lines = describeVerification(result);
  if (result.ok) {
    for (const line of lines) console.log(line);
    return 0;
  }
  for (const line of lines) console.error(line);
  return 2;
});
