// Debian's legacy Sentry clients, raven-go and raven-ruby, against a local Faultline (the Worker
// under `wrangler dev`, the dashboard's API under `wrangler pages dev`, one shared D1). Both post
// base64 of zlib'd JSON to /store/ and authenticate with the old DSN form that carries a secret
// key; their exceptions come back through the Web API with title, culprit and stack frames.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { apiStack } from "./harness/api-stack.mjs";

const run = promisify(execFile);
const GO = "/usr/bin/go";
const RUBY = "/usr/bin/ruby";
// Debian's Go source packages (raven-go, pkg/errors) live in this GOPATH; they build without modules or a network.
const GOPATH = "/usr/share/gocode";
const GO_PROGRAM = fileURLToPath(new URL("./harness/capture-raven-go-error.go", import.meta.url));
const RUBY_PROGRAM = fileURLToPath(new URL("./harness/capture-raven-ruby-error.rb", import.meta.url));
const INSTALL_HINT = "run scripts/install-test-deps.sh (installs golang-go, golang-github-getsentry-raven-go-dev, ruby, ruby-sentry-raven)";

const stack = apiStack("faultline-raven-e2e-");
const { api, waitFor } = stack;
// The programs run from here: raven-ruby marks no frame in-app outside an app's folders (bin, app, lib, ...).
const work = mkdtempSync(join(tmpdir(), "faultline-raven-clients-"));
let dsn;

before(async () => {
  for (const path of [GO, RUBY, join(GOPATH, "src/github.com/getsentry/raven-go")])
    assert.ok(existsSync(path), `${path} is missing: ${INSTALL_HINT}`);
  await stack.start();
  // The old DSN form: raven clients then send sentry_secret too, which Faultline does not check.
  dsn = stack.dsn.replace("@", ":an-old-secret@");
});

after(async () => {
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Polls the issue list until an issue has this title; a read may fail while the digest writes. */
async function issueTitled(title, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    try {
      const issues = await api("/projects/faultline/default/issues/?query=");
      const issue = issues.find((i) => i.title === title);
      if (issue !== undefined) return issue;
      last = `issues: ${JSON.stringify(issues.map((i) => i.title))}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`no issue titled ${title} within ${timeoutMs} ms; ${last}\n${stack.worker.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Runs a client program; it prints the event id, or fails with the client's reason when ingest refused the event. */
async function capture(command, args, env = {}) {
  try {
    const { stdout } = await run(command, args, { cwd: work, env: { ...process.env, ...env }, timeout: 180_000 });
    const eventId = stdout.trim();
    assert.match(eventId, /^[0-9a-f]{32}$/, `the client printed an event id, got ${JSON.stringify(stdout)}`);
    return eventId;
  } catch (err) {
    throw new Error(`${command} ${args.join(" ")} failed: ${err.stderr || err.message}\n${stack.worker.output()}`);
  }
}

async function latestEvent(issue) {
  const event = await api(`/issues/${issue.id}/events/latest/`);
  const exception = event.entries.find((e) => e.type === "exception");
  return { event, exception: exception.data.values.at(-1) };
}

test("an error from raven-go is recorded with its frames", { timeout: 300_000 }, async () => {
  copyFileSync(GO_PROGRAM, join(work, "raven-go-error.go"));
  const binary = join(work, "raven-go-error");
  // Offline: GOPATH mode, no module proxy.
  const goEnv = { GO111MODULE: "off", GOPATH, GOPROXY: "off", GOFLAGS: "" };
  await run(GO, ["build", "-o", binary, "raven-go-error.go"], { cwd: work, env: { ...process.env, ...goEnv }, timeout: 240_000 });
  const eventId = await capture(binary, [dsn]);

  const issue = await issueTitled("*errors.fundamental: order of 10 has no items to price");
  // The newest in-app frame: raven-go marks package main's frames in-app.
  assert.equal(issue.culprit, "main in unitPrice");
  const { event, exception } = await latestEvent(issue);
  assert.equal(event.eventID, eventId);
  assert.equal(event.platform, "go");
  assert.equal(exception.value, "order of 10 has no items to price");
  const frames = exception.stacktrace.frames;
  assert.deepEqual(
    frames.filter((f) => f.inApp).map((f) => f.function),
    ["main", "checkout", "unitPrice"],
  );
  const top = frames.at(-1);
  assert.equal(top.module, "main");
  assert.match(top.context.find(([n]) => n === top.lineNo)?.[1] ?? "", /errors\.Errorf/, "the context line is the failing line");
});

test("an exception from raven-ruby is recorded, the newest frame its culprit", { timeout: 120_000 }, async () => {
  copyFileSync(RUBY_PROGRAM, join(work, "raven-ruby-error.rb"));
  const eventId = await capture(RUBY, ["raven-ruby-error.rb", dsn]);

  const issue = await issueTitled("PaymentDeclined: card declined for order 17");
  // raven-ruby marks no frame in-app here: the culprit is the newest frame, as Sentry makes it.
  assert.equal(issue.culprit, "raven-ruby-error.rb in charge_card");
  const { event, exception } = await latestEvent(issue);
  assert.equal(event.eventID, eventId);
  assert.equal(event.platform, "ruby");
  assert.equal(event.release?.version ?? event.release, "faultline-e2e-ruby@1.0.0");
  const frames = exception.stacktrace.frames;
  assert.deepEqual(
    frames.map((f) => [f.filename, f.function, f.inApp]),
    [
      ["raven-ruby-error.rb", "<main>", false],
      ["raven-ruby-error.rb", "checkout", false],
      ["raven-ruby-error.rb", "charge_card", false],
    ],
  );
});
