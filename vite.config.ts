import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import path from "node:path";
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
    // Mantine in the server bundle, tree-shaken to the components the routes use (ADR 036): as an
    // external package, Node loads its 581 ESM files at every start (~1.9 s of CPU, ~56 MiB).
    noExternal: ["@mantine/core", "@mantine/hooks", "@mantine/charts", "recharts", /^lodash/, /^@floating-ui\//],
  },
  // manifest: Remix keeps Vite's client manifest as build/.vite/client-manifest.json (outside the served
  // build/client); bench/js-weight.ts reads from it the chunks a page loads later by import().
  build: { target: "es2022", manifest: true },
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
 * The heavy-work tasks (app/server/heavy/tasks.server.ts, TypeScript) are
 * loaded by worker threads from a file, not imported: bundle them with esbuild
 * beside the server bundle, as build/server/heavy-tasks.mjs, where
 * pool.server.ts looks first (ADR 016). Packages stay external (node_modules).
 */
function heavyWorker(): Plugin {
  return {
    name: "odpe-heavy-worker",
    apply: "build",
    async writeBundle(options) {
      if (!options.dir || path.basename(options.dir) !== "server") return;
      const esbuild = await import("esbuild");
      await esbuild.build({
        entryPoints: [path.resolve(__dirname, "app/server/heavy/tasks.server.ts")],
        outfile: path.join(options.dir, "heavy-tasks.mjs"),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        tsconfig: path.resolve(__dirname, "tsconfig.json"),
        logLevel: "warning",
        plugins: [
          {
            name: "external-packages",
            // Bare specifiers (packages, node: builtins) stay imports; ~/ and #db/ go through tsconfig paths.
            setup(build) {
              build.onResolve({ filter: /^[^./~#]/ }, (args) => ({ path: args.path, external: true }));
            },
          },
        ],
      });
    },
  };
}
