// `npm test`: every test, in order of cost — system packages the browser and Python tests need,
// typecheck, formatting, the layout's import rules (scripts/check-layout.mjs), the Workers-runtime
// suite (vitest in workerd), the offline deploy checks (bundles, migrations through wrangler, setup
// and deploy against a stand-in wrangler), then end-to-end tests with real SDKs against `wrangler
// dev`. Prints one closing line: "tests: N passed, N failed".
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT, wranglerEnv } from "./local-dev.mjs";

const bin = (name) => join(ROOT, "node_modules", ".bin", name);
const e2eFiles = readdirSync(join(ROOT, "test", "e2e"))
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => join("test", "e2e", f));
const vitestReport = join(ROOT, "test-results", "vitest.json");

let passed = 0;
let failed = 0;

function run(label, command, args) {
  console.log(`\n== ${label}: ${[command, ...args].join(" ")}`);
  return new Promise((done) => {
    let output = "";
    const child = spawn(command, args, { cwd: ROOT, env: wranglerEnv, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk) => {
        process.stdout.write(chunk);
        output = (output + chunk.toString()).slice(-200_000);
      });
    }
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

const deps = await run("system packages", "bash", [join("scripts", "install-test-deps.sh")]);
if (deps.code !== 0) failed += 1;

const typecheck = await run("typecheck", bin("tsc"), ["--noEmit", "-p", "."]);
if (typecheck.code !== 0) failed += 1;

// Style is never a review topic: unformatted code fails the run (`npm run format` rewrites it).
const format = await run("format", bin("prettier"), ["--check", "--log-level=warn", "."]);
if (format.code !== 0) failed += 1;

const layout = await run("layout", process.execPath, [join("scripts", "check-layout.mjs")]);
if (layout.code !== 0) failed += 1;

rmSync(vitestReport, { force: true });
const unit = await run("workers runtime tests", bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${vitestReport}`,
]);
try {
  const report = JSON.parse(readFileSync(vitestReport, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  if (unit.code !== 0 && report.numFailedTests === 0) failed += 1;
} catch {
  failed += 1;
}

const offlineFiles = readdirSync(join(ROOT, "test", "offline"))
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => join("test", "offline", f));
const offline = await run("offline deploy checks", process.execPath, ["--test", "--test-concurrency=1", ...offlineFiles]);
const offlineCount = (name) => Number(new RegExp(`^[#ℹ] ${name} (\\d+)`, "m").exec(offline.output)?.[1] ?? 0);
passed += offlineCount("pass");
failed += offlineCount("fail");
if (offline.code !== 0 && offlineCount("fail") === 0) failed += 1;

const e2e = await run("end-to-end tests", process.execPath, ["--test", "--test-concurrency=1", ...e2eFiles]);
const count = (name) => Number(new RegExp(`^[#ℹ] ${name} (\\d+)`, "m").exec(e2e.output)?.[1] ?? 0);
passed += count("pass");
failed += count("fail");
if (e2e.code !== 0 && count("fail") === 0) failed += 1;

console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
