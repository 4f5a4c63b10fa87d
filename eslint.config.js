import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default tseslint.config(
  { ignores: ["build/**", "node_modules/**", "data/**", ".cache/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,js,mjs}"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-syntax": [
        "error",
        {
          selector: "BinaryExpression[operator=/^[!=]==?$/] > MemberExpression[property.name='role']",
          message: "No role checks outside the authorization module: use can() or a require…() guard with a permission.",
        },
      ],
    },
  },
  // Import boundaries (docs/architecture.md, « Map »): routes → server → domain and db; the UI is never imported
  // by server code; the domain imports nothing from the server, the UI, the routes or the database schema.
  {
    files: ["app/domain/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["~/server", "~/server/**", "~/ui/**", "~/routes/**", "~/root", "\\#db/**", "**/server/**", "**/ui/**", "**/routes/**", "*.server", "**/*.server"],
              message: "app/domain is isomorphic and pure: it imports only other app/domain modules and libraries (docs/architecture.md, « Map »).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["app/server/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["~/ui/**", "~/routes/**", "~/root", "**/ui/**", "**/routes/**"],
              message: "Server code never imports the UI or the routes: move the shared helper to app/domain (docs/architecture.md, « Map »).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["app/ui/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["~/server", "~/server/**", "~/routes/**", "\\#db/**", "**/server/**", "**/routes/**", "*.server", "**/*.server"],
              message: "UI components receive data from their route: they import app/domain and libraries, never server code (docs/architecture.md, « Map »).",
            },
            { group: ["~/root"], allowTypeImports: true, message: "The UI may name the root loader's data type, nothing else of app/root.tsx." },
          ],
        },
      ],
    },
  },
  {
    files: ["db/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["~/**", "**/app/**"], message: "Migrations and the schema never import app code (docs/architecture.md, « Map »)." }] },
      ],
    },
  },
  {
    // Migrations take Kysely<any> by design (they must not import app types).
    files: ["db/migrations/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["app/domain/permissions.ts", "tests/**/*.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["tests/**/*.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
);
