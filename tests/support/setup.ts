// Every test process: test mode, demo app mode, quiet logs. The database
// driver follows DATABASE_URL (set → real PostgreSQL, unset → embedded PGlite).
process.env.NODE_ENV = "test";
process.env.APP_MODE ??= "demo";
process.env.LOG_LEVEL ??= "silent";
