import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the real bindings of wrangler.toml: local D1, Queues and R2.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./faultline-worker.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // test/db/schema.test.ts builds SCHEMA_DB from schema.sql and upgrades UPGRADE_DB from the previous release.
          d1Databases: ["SCHEMA_DB", "UPGRADE_DB"],
          // SESSION_SECRET signs the dashboard's session cookies (a Pages secret in production).
          bindings: {
            TEST_MIGRATIONS: migrations,
            SCHEMA_SQL: readFileSync("./schema.sql", "utf8"),
            SESSION_SECRET: "test session signing secret",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/support/apply-migrations.ts"],
      // A harness limit, not a performance check: shared machines can be slow, and a test that waits
      // on real queue delivery or inflates 20 MiB must not fail for that alone.
      testTimeout: 30_000,
      // Stand-in Slack, Discord, Teams and webhook receivers on a loopback port, for the alert tests.
      globalSetup: ["./test/support/alert-receivers/start-receivers.ts"],
    },
  };
});
