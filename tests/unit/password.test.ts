import { describe, expect, it } from "vitest";
import { hashPassword, passwordProblems, verifyPassword } from "~/server/auth/password.server";

const user = { email: "claire.martin@caf42.fr", displayName: "Claire Martin" };

describe("password policy", () => {
  it("requires at least 12 characters", () => {
    expect(passwordProblems("Court-1!", user)).toContain("Le mot de passe doit contenir au moins 12 caractères.");
    expect(passwordProblems("Assez-long-pour-passer", user)).toEqual([]);
  });
  it("refuses a password built on the user's name or e-mail", () => {
    expect(passwordProblems("MARTIN-2026-secret", user).join()).toMatch(/nom ni votre adresse/);
    expect(passwordProblems("xx-Clâire-2026-yy", user).join()).toMatch(/nom ni votre adresse/);
    expect(passwordProblems("claire.martin@caf42.fr!!", user).join()).toMatch(/nom ni votre adresse/);
  });
  it("refuses a repetitive password", () => {
    expect(passwordProblems("aaaaaaaaaaaaaaa", user).join()).toMatch(/trop répétitif/);
  });
  it("hashes with argon2id and verifies", async () => {
    const hash = await hashPassword("Un-mot-de-passe-solide");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await verifyPassword(hash, "Un-mot-de-passe-solide")).toBe(true);
    expect(await verifyPassword(hash, "un-mot-de-passe-solide")).toBe(false);
    expect(await verifyPassword("not-a-hash", "x")).toBe(false);
  });
});
