// npm run -s secrecy:protect -- --in FILE   (or the JSON on standard input)
// Statistical-secrecy protection of a release (ADR 014). Prints exactly one
// JSON document on standard output and exits 0; bad input: exit 2 with one
// French line on standard error; no mask can protect the secret cells: exit 3
// with a French line naming them, nothing on standard output.
import fs from "node:fs";
import { outputJson, parseProtectInput, protect, ProtectInputError } from "~/server/secrecy/protect.server";

const USAGE = "Usage : npm run -s secrecy:protect -- [--in FICHIER] (sans --in, le JSON est lu sur l'entrée standard).";

function fail(code: number, message: string): never {
  process.stderr.write(`${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(code);
}

function readSource(argv: string[]): string {
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--in" && argv[i + 1] !== undefined) file = argv[++i];
    else if (arg.startsWith("--in=")) file = arg.slice("--in=".length);
    else if (arg === "--help" || arg === "-h") {
      process.stderr.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(2, `Argument inconnu « ${arg} ». ${USAGE}`);
  }
  try {
    return fs.readFileSync(file ?? 0, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(2, file ? `Fichier d'entrée illisible « ${file} »${code ? ` (${code})` : ""} : vérifiez le chemin passé à --in.` : "Entrée standard illisible.");
  }
}

const text = readSource(process.argv.slice(2));
let raw: unknown;
try {
  raw = JSON.parse(text);
} catch (error) {
  fail(2, `Entrée invalide : ce n'est pas du JSON (${error instanceof Error ? error.message : String(error)}).`);
}

try {
  const result = await protect(parseProtectInput(raw));
  if (!result.ok) fail(3, result.reason);
  process.stdout.write(`${outputJson(result.output)}\n`);
  process.exit(0);
} catch (error) {
  if (error instanceof ProtectInputError) fail(2, error.message);
  fail(1, `Erreur interne du calcul de protection : ${error instanceof Error ? error.message : String(error)}`);
}
