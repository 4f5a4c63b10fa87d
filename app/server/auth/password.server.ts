import { hash, verify } from "@node-rs/argon2";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "~/domain/password-policy";

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH };

/** argon2id (the library's default algorithm) with OWASP-recommended cost. */
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;


export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Hash of a password nobody knows, verified for unknown users so timing does not reveal accounts. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword("mot de passe inexistant — timing equaliser");
  return dummyHash;
}

const normalise = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase();

/**
 * The password policy, as French messages (empty when the password is acceptable):
 * at least 12 characters, not built on the user's name or e-mail address.
 */
export function passwordProblems(password: string, user: { email: string; displayName: string }): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) {
    problems.push(`Le mot de passe doit contenir au moins ${PASSWORD_MIN_LENGTH} caractères.`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    problems.push(`Le mot de passe ne doit pas dépasser ${PASSWORD_MAX_LENGTH} caractères.`);
  }
  const candidate = normalise(password);
  const email = normalise(user.email);
  const localPart = email.split("@")[0] ?? "";
  const personal = new Set<string>([
    email,
    localPart,
    ...localPart.split(/[^a-z0-9]+/),
    ...normalise(user.displayName).split(/[^a-z0-9]+/),
  ]);
  if ([...personal].some((part) => part.length >= 4 && candidate.includes(part))) {
    problems.push("Le mot de passe ne doit pas contenir votre nom ni votre adresse e-mail.");
  }
  if (password.length > 0 && new Set(password).size < 4) {
    problems.push("Le mot de passe est trop répétitif : utilisez au moins 4 caractères différents.");
  }
  return problems;
}
