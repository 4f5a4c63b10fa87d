import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * ADR 034: a command (a use case that changes data) takes an `Actor`, which
 * carries its audit context and is checked by `run` (app/server/command.server.ts).
 * An exported server function with a parameter typed `AuditContext` is a
 * command that trusts its caller to have checked the permission: refused,
 * but for the exemptions below, each with its reason.
 */
const exempt: Record<string, string> = {
  "app/server/audit/*": "the audit module is the trail's writer: every actor writes through it with its own context",
  "app/server/command.server.ts:userActor": "builds the actor out of a person and the request's audit context",
  "app/server/auth/login.server.ts:login": "anonymous entry point: there is no actor before the password is checked",
  "app/server/users/users.server.ts:resetPassword": "anonymous entry point: the one-time link is the authority, nobody is signed in",
};

const root = path.resolve(__dirname, "../..");

function serverFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return serverFiles(full);
    return entry.name.endsWith(".server.ts") ? [full] : [];
  });
}

const isExported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Does the type written for a parameter name `AuditContext` (alone, in a union, an array…)? */
function namesAuditContext(type: ts.TypeNode | undefined): boolean {
  if (!type) return false;
  let found = false;
  const visit = (node: ts.Node) => {
    if (ts.isTypeReferenceNode(node) && node.typeName.getText() === "AuditContext") found = true;
    if (!found) ts.forEachChild(node, visit);
  };
  visit(type);
  return found;
}

/** The exported functions of one source file that take an `AuditContext`, as `file:function`. */
function offendersIn(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const check = (name: string, fn: ts.SignatureDeclarationBase) => {
    if (fn.parameters.some((p) => namesAuditContext(p.type))) found.push(`${file}:${name}`);
  };
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name && isExported(statement)) check(statement.name.text, statement);
    if (ts.isVariableStatement(statement) && isExported(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (ts.isIdentifier(declaration.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) check(declaration.name.text, init);
      }
    }
  }
  return found;
}

function isExempt(offender: string) {
  const file = offender.slice(0, offender.lastIndexOf(":"));
  return offender in exempt || Object.keys(exempt).some((key) => key.endsWith("/*") && file.startsWith(key.slice(0, -1)));
}

describe("commands take an actor (ADR 034)", () => {
  it("no exported server function takes an AuditContext, but the listed exemptions", () => {
    const offenders = serverFiles(path.join(root, "app/server"))
      .map((full) => path.relative(root, full).split(path.sep).join("/"))
      .flatMap((file) => offendersIn(file, readFileSync(path.join(root, file), "utf8")))
      .filter((offender) => !isExempt(offender))
      .sort();
    expect(offenders, `Commands taking an AuditContext instead of an Actor:\n${offenders.join("\n")}`).toEqual([]);
  });

  it("the walk finds a command taking an AuditContext, in a declaration or an arrow, and leaves Actor commands alone", () => {
    const probe = [
      'import type { AuditContext } from "../audit/audit.server";',
      "export async function updateThing(db: Db, context: AuditContext, id: string) {}",
      "export const removeThing = async (db: Db, context: AuditContext | null) => {};",
      "export async function renameThing(db: Db, actor: Actor, id: string) {}",
      "async function privateHelper(db: Db, context: AuditContext) {}",
    ].join("\n");
    expect(offendersIn("app/server/probe.server.ts", probe)).toEqual(["app/server/probe.server.ts:updateThing", "app/server/probe.server.ts:removeThing"]);
  });

  it("every exemption names a file that exists and gives its reason", () => {
    for (const [key, reason] of Object.entries(exempt)) {
      const file = key.endsWith("/*") ? key.slice(0, -2) : key.slice(0, key.lastIndexOf(":"));
      expect(() => readdirSync(path.dirname(path.join(root, file))), key).not.toThrow();
      expect(reason.length, key).toBeGreaterThan(20);
    }
  });
});
