// What `npm run deploy` uploads, built offline: the Worker bundle (`wrangler deploy --dry-run`),
// the dashboard's single-page app and its Pages Functions (`wrangler pages functions build`).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { ROOT, wranglerEnv } from "../../scripts/local-dev.mjs";

const run = promisify(execFile);
const bin = (name) => join(ROOT, "node_modules", ".bin", name);
const out = mkdtempSync(join(tmpdir(), "faultline-build-"));
after(() => rmSync(out, { recursive: true, force: true }));
const options = { cwd: ROOT, env: wranglerEnv, maxBuffer: 16 * 1024 * 1024 };

test("the Worker bundles for deployment, with its bindings and the cron handler", async () => {
  const outdir = join(out, "worker");
  const { stdout } = await run(bin("wrangler"), ["deploy", "--dry-run", "--outdir", outdir], options);
  for (const binding of ["env.DB", "env.RAW", "env.EVENTS", "env.ALERTS"]) assert.match(stdout, new RegExp(binding.replace(".", "\\.")));
  assert.match(stdout, /--dry-run: exiting now/);
  // wrangler names the bundle after wrangler.toml's main.
  const bundle = readFileSync(join(outdir, "faultline-worker.js"), "utf8");
  assert.match(bundle, /scheduled: runScheduledJobs/);
});

test("the dashboard builds", async () => {
  const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  if (!packageJson.scripts?.["build:dashboard"]) return;
  // The same steps as `npm run build:dashboard`, into a temporary folder so a running dashboard
  // keeps its dist/.
  await run(bin("tsc"), ["--noEmit", "-p", "dashboard"], options);
  const outDir = join(out, "dashboard");
  await run(bin("vite"), ["build", "dashboard", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], options);
  assert.ok(existsSync(join(outDir, "index.html")));
});

test("the dashboard's Pages Functions build into one Worker", async (t) => {
  if (!existsSync(join(ROOT, "dashboard", "functions"))) return t.skip("no dashboard/functions");
  const outdir = join(out, "functions");
  await run(bin("wrangler"), ["pages", "functions", "build", "functions", "--outdir", outdir], {
    ...options,
    cwd: join(ROOT, "dashboard"),
  });
  assert.ok(existsSync(join(outdir, "index.js")));
});
