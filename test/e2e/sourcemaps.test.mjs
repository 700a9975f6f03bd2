// Source maps end to end: a small Node app, and a browser app, bundled and minified with esbuild,
// their maps injected and uploaded by the real sentry-cli (@sentry/cli) to a local Faultline (the
// Worker under `wrangler dev`, the dashboard's API under `wrangler pages dev`, one shared D1 and
// R2), then an error from each sent by the real @sentry/node, or @sentry/browser in headless
// Chromium. The stored event and its issue must name the original code.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { ROOT, applyMigrations, fireCronTriggers, freePort, seed, startDashboard, startWorker } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS } from "./harness/dashboard-stack.mjs";

const SENTRY_CLI = resolve(ROOT, "node_modules/.bin/sentry-cli");
const persistTo = mkdtempSync(join(tmpdir(), "faultline-sourcemaps-e2e-"));
const home = join(persistTo, "home");
let worker;
let dashboard;
let dashboardUrl;
let dsn;
let token;
let ingestPort;

const CONFIG_SOURCE = `// Reads the app's settings from key=value lines.
export function parseConfig(text) {
  const entries = text.split("\\n").map((line) => line.split("="));
  for (const [key, value] of entries) {
    if (value === undefined) {
      throw new Error(\`bad config line: \${key}\`);
    }
  }
  return Object.fromEntries(entries);
}
`;

const MAIN_SOURCE = `import * as Sentry from "@sentry/node";
import { parseConfig } from "./config.js";

export function startApp(source) {
  return parseConfig(source);
}

Sentry.init({ dsn: process.env.DSN, release: process.env.RELEASE || undefined, dist: process.env.DIST || undefined, defaultIntegrations: false });
try {
  startApp("name=demo\\nbroken");
} catch (err) {
  const id = Sentry.captureException(err);
  Sentry.flush(10_000).then(() => console.log(id));
}
`;

before(async () => {
  await applyMigrations(persistTo);
  const secrets = await seed(persistTo);
  token = secrets.apiToken;
  let dashboardPort;
  [ingestPort, dashboardPort] = [await freePort(), await freePort()];
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  [worker, dashboard] = await Promise.all([
    startWorker({ port: ingestPort, persistTo }),
    startDashboard({ port: dashboardPort, persistTo, ingestUrl }),
  ]);
  dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  dsn = `http://${secrets.publicKey}@127.0.0.1:${ingestPort}/1`;
  mkdirSync(home);
});

after(async () => {
  await Promise.all([worker?.stop(), dashboard?.stop()]);
  rmSync(persistTo, { recursive: true, force: true });
});

/**
 * The app's source in a folder of its own, bundled and minified into dist/app.js with its map.
 * `banner` makes another build of it, with a debug id of its own (sentry-cli derives it from the
 * content).
 */
async function buildApp(name, banner = "") {
  const dir = join(persistTo, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src", "config.js"), CONFIG_SOURCE);
  writeFileSync(join(dir, "src", "main.js"), MAIN_SOURCE);
  await build({
    entryPoints: [join(dir, "src", "main.js")],
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: "node",
    format: "cjs",
    external: ["@sentry/node"],
    banner: { js: banner },
    outfile: join(dir, "dist", "app.js"),
    logLevel: "silent",
  });
  return dir;
}

/** sentry-cli as CI runs it, configured by the environment; a refused connection (Functions rebuilding) is tried again. */
function sentryCli(args, cwd) {
  for (let attempt = 1; ; attempt++) {
    const result = spawnSync(SENTRY_CLI, args, {
      cwd,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        SENTRY_URL: dashboardUrl,
        SENTRY_AUTH_TOKEN: token,
        SENTRY_ORG: "faultline",
        SENTRY_PROJECT: "default",
        SENTRY_DISABLE_UPDATE_CHECK: "true",
        SENTRY_LOAD_DOTENV: "0",
      },
    });
    const couldNotConnect = result.status !== 0 && /\[7\] Could not connect/.test(result.stderr);
    if (!couldNotConnect || attempt === 10) return result;
    spawnSync("sleep", ["1"]);
  }
}

function succeeds(args, cwd) {
  const run = sentryCli(args, cwd);
  assert.equal(run.status, 0, `sentry-cli ${args.join(" ")} exited ${run.status}\n${run.stdout}\n${run.stderr}\n${dashboard.output()}`);
  return run.stdout;
}

/** Runs the built app; it prints the id of the event it sent. */
function runApp(dir, env = {}) {
  const run = spawnSync(process.execPath, [join(dir, "dist", "app.js")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, "node_modules"), DSN: dsn, ...env },
  });
  assert.equal(run.status, 0, run.stderr);
  const eventId = run.stdout.trim().split("\n").at(-1);
  assert.match(eventId, /^[0-9a-f]{32}$/);
  return eventId;
}

async function api(path, method = "GET") {
  const res = await fetch(`${dashboardUrl}/api/0${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: res.status === 200 || res.status === 202 ? await res.json() : await res.text() };
}

/** The stored event, once the digest has written it. */
async function storedEvent(eventId) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let res;
    try {
      res = await api(`/projects/faultline/default/events/${eventId}/`);
    } catch {
      res = { status: 0 };
    }
    if (res.status === 200) return res.json;
    if (Date.now() > deadline) throw new Error(`event ${eventId} was not stored: ${res.status} ${res.json}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const exceptionOf = (event) => event.entries.find((e) => e.type === "exception").data.values.at(-1);

test(
  "sourcemaps inject + upload: a minified Node app's error names the original file, function, line and context",
  { timeout: 180_000 },
  async () => {
    const dir = await buildApp("debug-ids");
    assert.match(succeeds(["sourcemaps", "inject", "dist"], dir), /debug id/i);
    const upload = succeeds(["sourcemaps", "upload", "dist"], dir);
    assert.match(upload, /Upload type: artifact bundle/);
    // The same bundle again: the server has it.
    assert.match(succeeds(["sourcemaps", "upload", "dist"], dir), /Nothing to upload, all files are on the server/);

    const bundles = await api("/projects/faultline/default/files/artifact-bundles/");
    assert.equal(bundles.json.length, 1);
    assert.equal(bundles.json[0].debugIds.length, 1);

    const event = await storedEvent(runApp(dir));
    const exception = exceptionOf(event);
    const top = exception.stacktrace.frames.at(-1);
    assert.equal(top.filename, "../src/config.js");
    assert.equal(top.absPath, join(dir, "src", "config.js"));
    assert.equal(top.function, "parseConfig");
    assert.equal(top.lineNo, 6);
    assert.deepEqual(
      top.context.find(([line]) => line === 6),
      [6, "      throw new Error(`bad config line: ${key}`);"],
    );
    const caller = exception.stacktrace.frames.at(-2);
    assert.equal(caller.function, "startApp");
    assert.equal(caller.lineNo, 5);
    // The minified frame is kept beside it.
    assert.equal(exception.rawStacktrace.frames.at(-1).filename, join(dir, "dist", "app.js"));
    assert.notEqual(exception.rawStacktrace.frames.at(-1).function, "parseConfig");
    assert.deepEqual(event.errors, []);

    const issue = await api(`/issues/${event.groupID}/`);
    assert.equal(issue.json.title, "Error: bad config line: broken");
    assert.equal(issue.json.culprit, "../src/config.js in parseConfig");
  },
);

test("sourcemaps upload --release --url-prefix: a build without debug ids is mapped by release and URL", { timeout: 180_000 }, async () => {
  const dir = await buildApp("release");
  const release = "shop@2.0.0";
  // Node's frames name files by absolute path: the prefix is the dist folder's path, after `~`.
  succeeds(["sourcemaps", "upload", "--release", release, "--dist", "node", "--url-prefix", `~${join(dir, "dist")}`, "dist"], dir);
  const event = await storedEvent(runApp(dir, { RELEASE: release, DIST: "node" }));
  const top = exceptionOf(event).stacktrace.frames.at(-1);
  assert.equal(top.function, "parseConfig");
  assert.equal(top.lineNo, 6);

  // Another release of the same build was never uploaded: the event says so.
  const unmapped = await storedEvent(runApp(dir, { RELEASE: "shop@2.0.1", DIST: "node" }));
  assert.notEqual(exceptionOf(unmapped).stacktrace.frames.at(-1).function, "parseConfig");
  assert.deepEqual(
    unmapped.errors.map((e) => [e.type, e.data.release]),
    [["js_no_source", "shop@2.0.1"]],
  );
});

test("maps uploaded after an event: the issue says so, and Reprocess maps its events again", { timeout: 180_000 }, async () => {
  const dir = await buildApp("late-maps", "// a build uploaded late");
  succeeds(["sourcemaps", "inject", "dist"], dir);
  const early = await storedEvent(runApp(dir));
  assert.notEqual(exceptionOf(early).stacktrace.frames.at(-1).function, "parseConfig");
  const path = `/issues/${early.groupID}/reprocessing/`;
  assert.equal((await api(path)).json.mapsUploadedAfter, null);

  succeeds(["sourcemaps", "upload", "dist"], dir);
  assert.match((await api(path)).json.mapsUploadedAfter, /^\d{4}-/);
  const requested = await api(path, "POST");
  assert.equal(requested.status, 202);
  assert.equal(requested.json.status, "pending");

  // The minute job, as production's trigger runs it.
  const status = await fireCronTriggers({ port: ingestPort, crons: [] }).at("* * * * *");
  assert.equal(status, 200, worker.output());
  const done = await api(path);
  assert.equal(done.json.status, "done");
  assert.equal(done.json.improved, 1);
  assert.equal(done.json.mapsUploadedAfter, null);
  const after = await storedEvent(early.eventID);
  assert.equal(after.groupID, early.groupID);
  assert.equal(exceptionOf(after).stacktrace.frames.at(-1).function, "parseConfig");
  assert.equal(exceptionOf(after).stacktrace.frames.at(-1).lineNo, 6);
});

test("debug-files upload is refused with a message sentry-cli prints", { timeout: 60_000 }, () => {
  const dir = join(persistTo, "debug-files");
  mkdirSync(dir, { recursive: true });
  // Any executable with a build id is a debug information file to sentry-cli.
  copyFileSync("/bin/ls", join(dir, "ls"));
  const run = sentryCli(["debug-files", "upload", "."], dir);
  const output = `${run.stdout}\n${run.stderr}`;
  assert.notEqual(run.status, 0, output);
  assert.match(output, /Faultline stores JavaScript source maps only/);
});

const BROWSER_MAIN_SOURCE = `import * as Sentry from "@sentry/browser";
import { parseConfig } from "./config.js";

export function startApp(source) {
  return parseConfig(source);
}

async function run(dsn) {
  Sentry.init({ dsn, defaultIntegrations: false });
  let id;
  try {
    startApp("name=demo\\nbroken");
  } catch (err) {
    id = Sentry.captureException(err);
  }
  await Sentry.flush(10_000);
  return id;
}
// From a timer, so that the error's stack holds the app's frames only, not the test's evaluate().
window.runApp = (dsn) => new Promise((resolve) => setTimeout(() => resolve(run(dsn)), 0));
`;

/** A browser app bundled with the installed @sentry/browser, minified, with its map. */
async function buildBrowserApp(name) {
  const dir = join(persistTo, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src", "config.js"), CONFIG_SOURCE);
  writeFileSync(join(dir, "src", "main.js"), BROWSER_MAIN_SOURCE);
  await build({
    entryPoints: [join(dir, "src", "main.js")],
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    nodePaths: [join(ROOT, "node_modules")],
    outfile: join(dir, "dist", "app.js"),
    logLevel: "silent",
  });
  return dir;
}

/** Serves the app's page and dist/app.js from a loopback origin of its own. */
async function serveApp(dir) {
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><script src="/app.js"></script></head><body>Shop</body></html>';
  const server = createServer((req, res) => {
    if (req.url === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (req.url === "/app.js")
      res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(join(dir, "dist", "app.js")));
    else res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) };
}

test(
  "sourcemaps inject + upload: a minified browser app's error from @sentry/browser in Chromium names the original code",
  { timeout: 180_000 },
  async () => {
    const dir = await buildBrowserApp("browser");
    assert.match(succeeds(["sourcemaps", "inject", "dist"], dir), /debug id/i);
    assert.match(succeeds(["sourcemaps", "upload", "dist"], dir), /Upload type: artifact bundle/);

    const site = await serveApp(dir);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    let eventId;
    try {
      const page = await browser.newPage();
      const pageErrors = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));
      await page.goto(`${site.origin}/`);
      eventId = await page.evaluate((value) => window.runApp(value), dsn);
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      await site.close();
    }
    assert.match(eventId ?? "", /^[0-9a-f]{32}$/);

    const event = await storedEvent(eventId);
    const exception = exceptionOf(event);
    const top = exception.stacktrace.frames.at(-1);
    assert.match(top.filename, /src\/config\.js$/);
    assert.equal(top.function, "parseConfig");
    assert.equal(top.lineNo, 6);
    assert.deepEqual(
      top.context.find(([line]) => line === 6),
      [6, "      throw new Error(`bad config line: ${key}`);"],
    );
    assert.equal(exception.stacktrace.frames.at(-2).function, "startApp");
    // The minified frame, as Chromium reported it, is kept beside it.
    assert.equal(exception.rawStacktrace.frames.at(-1).absPath, `${site.origin}/app.js`);
    assert.deepEqual(event.errors, []);

    const issue = await api(`/issues/${event.groupID}/`);
    assert.equal(issue.json.title, "Error: bad config line: broken");
    assert.equal(issue.json.culprit, "src/config in parseConfig");
  },
);
