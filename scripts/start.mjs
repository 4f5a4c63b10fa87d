// `npm start`: build the portal if the build is missing or older than the
// sources, then serve it in production mode (embedded database by default).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale } from "./build-if-stale.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
try {
  buildIfStale();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
process.env.NODE_ENV = "production";
process.chdir(root);
await import(path.join(root, "server.mjs"));
