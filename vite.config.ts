import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import path from "node:path";
import { copyFileSync } from "node:fs";
import type { Plugin } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  resolve: {
    alias: {
      "~": path.resolve(__dirname, "app"),
      "#db": path.resolve(__dirname, "db"),
    },
  },
  server: { port: 3000 },
  optimizeDeps: {
    include: [
      "@mantine/core",
      "@mantine/hooks",
      "@mantine/charts",
      "zod",
    ],
    exclude: ["kysely", "pg", "@electric-sql/pglite", "kysely-pglite-dialect", "@node-rs/argon2", "exceljs", "pg-boss", "nodemailer"],
  },
  ssr: {
    external: ["@node-rs/argon2", "@electric-sql/pglite", "pg", "exceljs", "pino", "pg-boss", "nodemailer"],
  },
  build: { target: "es2022" },
  plugins: [
    heavyWorker(),
    remix({
      ignoredRouteFiles: ["**/*.css", "**/*.test.*"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
        v3_routeConfig: true,
      },
    }),
  ],
});

/**
 * The heavy-work worker (app/server/heavy/heavy-work.worker.mjs, plain ESM) is
 * loaded by worker threads from a file, not imported: copy it beside the
 * server bundle (build/server/index.js), where pool.server.ts looks for it.
 */
function heavyWorker(): Plugin {
  return {
    name: "odpe-heavy-worker",
    apply: "build",
    writeBundle(options) {
      if (!options.dir || path.basename(options.dir) !== "server") return;
      copyFileSync(path.resolve(__dirname, "app/server/heavy/heavy-work.worker.mjs"), path.join(options.dir, "heavy-work.worker.mjs"));
    },
  };
}
