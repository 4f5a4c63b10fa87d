import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Issue 14 item 6, ADR 036: no page carries the chart library (recharts, via
 * @mantine/charts, ~570 KiB) in its first load; charts come with import()
 * when a page draws one. Checked on the source, without a build: the static
 * imports a route module reaches in the browser's bundle.
 *
 * Followed: `import … from` and `export … from` that are not type-only, and
 * side-effect imports. Not followed: `import()` (a chunk of its own, loaded
 * later), `.server` modules (Remix keeps them out of the client bundle, and
 * refuses a client import of one). Route modules are scanned whole, loader and
 * action included, so the graph is a superset of the browser's: a package it
 * does not reach is certainly not in the page's first load.
 */
const root = path.resolve(__dirname, "../..");
const app = path.join(root, "app");

function resolveLocal(from: string, specifier: string): string | null {
  const base = specifier.startsWith("~/") ? path.join(app, specifier.slice(2)) : specifier.startsWith(".") ? path.resolve(path.dirname(from), specifier) : null;
  if (!base) return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`Cannot resolve ${specifier} from ${path.relative(root, from)}`);
}

/** The specifiers a module imports statically for its values (type-only imports and import() left out). */
function staticValueImports(file: string): { specifiers: string[]; dynamic: string[] } {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const dynamic: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      dynamic.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { specifiers, dynamic };
}

const packageName = (specifier: string) => (specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);

/** The local modules and the packages a module reaches by static imports, as the browser's bundle would. */
function clientGraph(entry: string): { modules: Set<string>; packages: Set<string>; dynamic: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const dynamic = new Set<string>();
  const visit = (file: string) => {
    if (modules.has(file) || /\.server\.tsx?$/.test(file) || file.includes(`${path.sep}.server${path.sep}`)) return;
    modules.add(file);
    const { specifiers, dynamic: lazy } = staticValueImports(file);
    for (const s of lazy) {
      const target = resolveLocal(file, s);
      dynamic.add(target ? path.relative(root, target) : s);
    }
    for (const s of specifiers) {
      if (/\.css(\?.*)?$/.test(s)) continue;
      const target = resolveLocal(file, s);
      if (target) visit(target);
      else if (!s.startsWith("node:")) packages.add(packageName(s));
    }
  };
  visit(entry);
  return { modules, packages, dynamic };
}

const chartPackages = ["@mantine/charts", "recharts"];
const routeFiles = fs
  .readdirSync(path.join(app, "routes"))
  .filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."))
  .map((f) => path.join(app, "routes", f));

describe("client bundles: the chart library only by import()", () => {
  it("the scan sees the chart library where it is imported statically (the check below can fail)", () => {
    expect(clientGraph(path.join(app, "ui/chart-plot.tsx")).packages).toContain("@mantine/charts");
  });

  it("the public extranet's home reaches neither the chart library nor zod", () => {
    const { packages } = clientGraph(path.join(app, "routes/extranet._index.tsx"));
    expect([...packages].filter((p) => [...chartPackages, "zod"].includes(p))).toEqual([]);
  });

  it.each(routeFiles.map((f) => [path.relative(root, f), f]))("no static import of the chart library from %s", (_label, file) => {
    const { packages } = clientGraph(file);
    expect([...packages].filter((p) => chartPackages.includes(p))).toEqual([]);
  });

  it("pages that draw charts get them with import(): diffusion.tsx loads chart-plot.tsx lazily", () => {
    const graph = clientGraph(path.join(app, "ui/diffusion.tsx"));
    expect(graph.dynamic).toContain(path.join("app", "ui", "chart-plot.tsx"));
    expect([...graph.modules].map((m) => path.relative(root, m))).not.toContain(path.join("app", "ui", "chart-plot.tsx"));
  });

  it("the publication views (tables, badges, contributors) and the label modules do not carry zod (the forms' schemas live apart)", () => {
    for (const view of ["ui/diffusion.tsx", "ui/contributors.tsx", "ui/publication-badges.tsx", "domain/publications.ts", "domain/agreements.ts", "domain/format.ts"]) {
      expect([...clientGraph(path.join(app, view)).packages]).not.toContain("zod");
    }
  });
});
