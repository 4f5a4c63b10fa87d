// Every test process: test mode, demo app mode, quiet logs. The database
// driver follows DATABASE_URL (set → real PostgreSQL, unset → embedded PGlite).
process.env.NODE_ENV = "test";
process.env.APP_MODE ??= "demo";
process.env.LOG_LEVEL ??= "silent";
// Every test file sends its unknown tokens from 127.0.0.1: the per-IP limit (ADR 017) is tested on its own
// (tests/integration/api-auth.test.ts) with a low value and another address.
process.env.API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE ??= "10000";
// A fixed audit HMAC key (ADR 024), so no test writes DATA_DIR/audit-hmac.key; tests/integration/audit-anchor.test.ts varies it.
process.env.AUDIT_HMAC_KEY ??= "test-audit-hmac-key-0123456789abcdef0123456789abcdef";
