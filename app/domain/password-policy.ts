/** Shared by the password policy (server) and the forms' hints (client). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
