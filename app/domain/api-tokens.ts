import { z } from "zod";

/**
 * Tokens of the partner API (ADR 008): a partner system sends
 * `Authorization: Bearer <token>` and acts for its organisation. A token is
 * shown once; the portal keeps only its sha256 and its first characters
 * (the prefix) so that people can tell their tokens apart.
 */
export const API_TOKEN_SCHEME = "odpe_";
/** 32 random bytes, base64url (43 characters) after the scheme. */
export const API_TOKEN_PATTERN = /^odpe_[A-Za-z0-9_-]{43}$/;
/** Characters of the token shown in lists ("odpe_AbCd1234…"). */
export const API_TOKEN_PREFIX_LENGTH = API_TOKEN_SCHEME.length + 8;
/** Active tokens an organisation may hold at once (one per partner system is the norm). */
export const MAX_ACTIVE_TOKENS_PER_ORGANISATION = 20;

export const apiTokenFormSchema = z.object({
  name: z
    .string({ error: "Donnez un nom au jeton." })
    .trim()
    .min(1, { error: "Donnez un nom au jeton (par exemple le nom du logiciel qui l'utilisera)." })
    .max(120, { error: "120 caractères au plus." }),
});
export type ApiTokenFormInput = z.infer<typeof apiTokenFormSchema>;

export const apiTokenRevokeSchema = z.object({
  tokenId: z.uuid({ error: "Jeton inconnu : rechargez la page et réessayez." }),
});
