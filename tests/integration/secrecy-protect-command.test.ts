import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-secrecy-cmd-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the command as an operator would (`tsx scripts/secrecy-protect.ts`, what `npm run -s secrecy:protect` runs). */
function run(args: string[], stdin?: string) {
  const result = spawnSync(path.join(root, "node_modules/.bin/tsx"), ["scripts/secrecy-protect.ts", ...args], {
    cwd: root,
    input: stdin ?? "",
    env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const example = {
  threshold: 5,
  cells: { tot: { value: 6 }, f: { value: 1 }, m: { value: 5, threshold: 5 } },
  sums: [{ total: "tot", parts: ["f", "m"] }],
  released: { tot: 6 },
};

function file(name: string, content: string) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe("npm run secrecy:protect — the stable JSON contract (D226-3-4, Art. 5)", () => {
  it("D226-3-4 : --in FILE prints exactly one JSON document (the issue's example) and exits 0", () => {
    const r = run(["--in", file("example.json", JSON.stringify(example))]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({
      cells: { tot: { published: 6 }, f: { published: null }, m: { published: null } },
      audit: { f: { min: 0, max: 6 } },
    });
  });

  it("D226-3-4 : reads the JSON on standard input without --in; an unbounded maximum is null", () => {
    const r = run([], JSON.stringify({ threshold: 5, cells: { lone: { value: 2 } }, sums: [] }));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cells: { lone: { published: null } }, audit: { lone: { min: 0, max: null } } });
  });

  const badInputs: [string, () => string[], string | undefined, RegExp][] = [
    ["a file that is not JSON", () => ["--in", file("broken.json", "{ not json")], undefined, /^Entrée invalide : ce n'est pas du JSON/],
    ["a negative count", () => [], JSON.stringify({ threshold: 5, cells: { a: { value: -2 } }, sums: [] }), /^Entrée invalide à « cells\.a\.value »/],
    [
      "a relation the values contradict",
      () => [],
      JSON.stringify({ threshold: 5, cells: { t: { value: 3 }, a: { value: 1 } }, sums: [{ total: "t", parts: ["a"] }] }),
      /^Entrée incohérente : la somme n° 1/,
    ],
    ["a missing file", () => ["--in", path.join(dir, "missing.json")], undefined, /^Fichier d'entrée illisible .*missing\.json/],
    ["an unknown argument", () => ["--out", "x"], undefined, /^Argument inconnu « --out »/],
  ];
  it.each(badInputs)("bad input (%s) exits 2 with one French line on standard error and nothing on standard output", (_label, args, stdin, message) => {
    const r = run(args(), stdin);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("D226-3-4 : released values that pin a secret cell exit 3, naming the cell on standard error, nothing on standard output", () => {
    const r = run([], JSON.stringify({ ...example, released: { tot: 6, m: 5 } }));
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^Secret statistique .*la cellule « f »/);
  });
});
