/**
 * The assembly of an edition is pure and lives in app/domain/edition-assembly.ts
 * (docs/architecture.md, « Map »); loading its input is load.server.ts. This
 * re-export keeps editions.server.ts's import until that module moves to the
 * domain import itself.
 */
export { toPublicEdition } from "~/domain/edition-assembly";
