// `npm run db:generate -- <name>`: drizzle-kit diffs db/schema.ts against the last snapshot in
// migrations/meta/ and writes the next numbered migration (0024_<name>.sql, ...) beside the
// hand-written ones, for wrangler to apply. Only `generate` is used: wrangler applies migrations.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./db/schema.ts",
  out: "./migrations",
  // Plain statements, one after another, like the hand-written migrations.
  breakpoints: false,
  // The number after the journal's last entry (the baseline is 0023), so names sort after it.
  migrations: { prefix: "index" },
});
