// The release workflow CI pipelines drive with sentry-cli, run with the real binary (@sentry/cli,
// a devDependency) against a local Faultline: the Worker under `wrangler dev`, the dashboard's
// API under `wrangler pages dev`, one shared D1. SENTRY_URL is the dashboard's origin and the
// token the seeded one, as a team would use a token made in the dashboard.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { applyMigrations, freePort, seed, startDashboard, startWorker } from "../../scripts/local-dev.mjs";

const SENTRY_CLI = resolve("node_modules/.bin/sentry-cli");
const FIRST = "shop@1.0.0+build.41";
const SECOND = "shop@1.1.0 rc1";
const THIRD = "shop@1.2.0";

const persistTo = mkdtempSync(join(tmpdir(), "faultline-sentry-cli-e2e-"));
// sentry-cli reads ~/.sentryclirc and a .env in its working folder: both are ours here.
const home = join(persistTo, "home");
const checkout = join(persistTo, "checkout");
let worker;
let dashboard;
let dashboardUrl;
let dsn;
let token;

before(async () => {
  await applyMigrations(persistTo);
  const secrets = await seed(persistTo);
  token = secrets.apiToken;
  const [ingestPort, dashboardPort] = [await freePort(), await freePort()];
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  [worker, dashboard] = await Promise.all([
    startWorker({ port: ingestPort, persistTo }),
    startDashboard({ port: dashboardPort, persistTo, ingestUrl }),
  ]);
  dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  dsn = `http://${secrets.publicKey}@127.0.0.1:${ingestPort}/1`;
  mkdirSync(home);
  mkdirSync(checkout);
  git("init", "--quiet", "--initial-branch=main");
  git("remote", "add", "origin", "https://github.com/acme/shop.git");
  commit("package.json", '{"name": "shop"}', "Start the shop", "Ada Lovelace <ada@example.com>");
  commit("cart.js", "export const cart = [];", "Add the cart\n\nIt holds items.", "Grace Hopper <grace@example.com>");
});

after(async () => {
  await Sentry.close(2_000);
  await Promise.all([worker?.stop(), dashboard?.stop()]);
  rmSync(persistTo, { recursive: true, force: true });
});

function git(...args) {
  return execFileSync("git", args, { cwd: checkout, encoding: "utf8", env: { ...process.env, HOME: home } }).trim();
}

function commit(file, content, message, author) {
  writeFileSync(join(checkout, file), content);
  git("add", "--all");
  git("-c", "user.name=CI", "-c", "user.email=ci@example.com", "commit", "--quiet", `--author=${author}`, "-m", message);
  return git("rev-parse", "HEAD");
}

/**
 * Runs sentry-cli in the checkout as CI does, configured by the environment only. `wrangler pages
 * dev` rebuilds the Functions when a source file changes and refuses connections meanwhile; a
 * command that could not connect (curl's error 7: nothing reached the server) runs again.
 */
function sentryCli(args, { authToken = token } = {}) {
  for (let attempt = 1; ; attempt++) {
    const result = spawnSync(SENTRY_CLI, args, {
      cwd: checkout,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        SENTRY_URL: dashboardUrl,
        SENTRY_AUTH_TOKEN: authToken,
        SENTRY_ORG: "faultline",
        SENTRY_PROJECT: "default",
        SENTRY_DISABLE_UPDATE_CHECK: "true",
        SENTRY_LOAD_DOTENV: "0",
      },
    });
    const couldNotConnect = result.status !== 0 && /\[7\] Could not connect/.test(result.stderr);
    if (!couldNotConnect || attempt === 10) return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    spawnSync("sleep", ["1"]);
  }
}

function succeeds(args) {
  const run = sentryCli(args);
  assert.equal(run.status, 0, `sentry-cli ${args.join(" ")} exited ${run.status}\n${run.stdout}\n${run.stderr}\n${dashboard.output()}`);
  return run.stdout;
}

/** A GET on the API; a refused connection (the Functions being rebuilt) is tried again. */
async function api(path) {
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(`${dashboardUrl}/api/0${path}`, { headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      if (attempt === 10) throw err;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
    return res.json();
  }
}

const releasePath = (version, rest = "") => `/organizations/faultline/releases/${encodeURIComponent(version)}/${rest}`;

test("sentry-cli info: the token is valid, with its user and scopes", () => {
  const out = succeeds(["info"]);
  assert.match(out, new RegExp(`Sentry Server: ${dashboardUrl}`));
  assert.match(out, /Default Organization: faultline/);
  assert.match(out, /Default Project: default/);
  assert.match(out, /Method: Auth Token/);
  assert.match(out, /User: admin@faultline\.local/);
  assert.match(out, /- project:releases/);

  const refused = sentryCli(["info"], { authToken: "flt_not_a_token" });
  assert.notEqual(refused.status, 0, refused.stdout);
});

test("a release's life: new, set-commits, finalize, deploys new, list, info, deploys list", async () => {
  const heads = git("log", "--format=%H").split("\n");

  assert.match(succeeds(["releases", "new", FIRST]), new RegExp(`Created release ${escape(FIRST)}`));
  // No repository integration: set-commits reads the commits from the checkout and sends them.
  const local = succeeds(["releases", "set-commits", FIRST, "--local"]);
  assert.match(local, new RegExp(`Success! Set commits for release ${escape(FIRST)}`));
  assert.match(succeeds(["releases", "finalize", FIRST]), new RegExp(`Finalized release ${escape(FIRST)}`));
  assert.match(
    succeeds([
      "deploys",
      "new",
      "--release",
      FIRST,
      "--env",
      "production",
      "--name",
      "deploy 41",
      "--url",
      "https://ci.example.com/41",
      "--time",
      "95",
    ]),
    /Created new deploy deploy 41 for 'production'/,
  );

  const first = await api(releasePath(FIRST));
  assert.equal(first.version, FIRST);
  assert.equal(first.commitCount, 2);
  assert.equal(first.lastCommit.id, heads[0]);
  // As git keeps it, with its final newline.
  assert.equal(first.lastCommit.message, "Add the cart\n\nIt holds items.\n");
  assert.deepEqual(
    first.authors.map((a) => a.email),
    ["grace@example.com", "ada@example.com"],
  );
  assert.ok(first.dateReleased !== null && Date.parse(first.dateReleased) >= Date.parse(first.dateCreated));
  assert.deepEqual(
    first.projects.map((p) => p.slug),
    ["default"],
  );
  assert.equal(first.deployCount, 1);
  assert.equal(first.lastDeploy.environment, "production");
  assert.equal(Date.parse(first.lastDeploy.dateFinished) - Date.parse(first.lastDeploy.dateStarted), 95_000);
  const commits = await api(releasePath(FIRST, "commits/"));
  assert.deepEqual(
    commits.map((c) => c.id),
    heads,
  );

  // The next release: set-commits --commit, with no repositories to match it against, reads the
  // checkout too, and sends only the commits since the previous release's last one.
  const third = commit("checkout.js", "export function checkout() {}", "Add checkout", "Ada Lovelace <ada@example.com>");
  succeeds(["releases", "new", SECOND]);
  assert.equal((await api(releasePath(SECOND, "previous-with-commits/"))).version, FIRST);
  assert.match(succeeds(["releases", "set-commits", SECOND, "--commit", `acme/shop@${third}`]), /Success! Set commits/);
  const second = await api(releasePath(SECOND));
  assert.equal(second.commitCount, 1);
  assert.equal(second.lastCommit.id, third);

  // --auto finds no repository to match either, says so, and reads the checkout the same way.
  const fourth = commit("refund.js", "export function refund() {}", "Add refunds", "Grace Hopper <grace@example.com>");
  succeeds(["releases", "new", THIRD]);
  const auto = succeeds(["releases", "set-commits", THIRD, "--auto"]);
  assert.match(auto, /Proceeding to find commits from local git tree/);
  assert.deepEqual(
    (await api(releasePath(THIRD, "commits/"))).map((c) => c.id),
    [fourth],
  );

  const list = succeeds(["releases", "list"]);
  assert.match(list, /Released/);
  assert.match(list, new RegExp(escape(FIRST)));
  assert.match(list, new RegExp(escape(SECOND)));
  assert.match(list, /\(unreleased\)/);
  assert.deepEqual(succeeds(["releases", "list", "--raw", "--delimiter", ","]).trim().split(","), [THIRD, SECOND, FIRST]);

  const info = succeeds(["releases", "info", FIRST, "--show-projects", "--show-commits"]);
  assert.match(info, new RegExp(escape(FIRST)));
  assert.match(info, /default/);
  assert.match(info, new RegExp(heads[0]));
  assert.match(info, new RegExp(heads[1]));
  const missing = sentryCli(["releases", "info", "shop@0.0.1"]);
  assert.equal(missing.status, 1, missing.stdout);

  const deploys = succeeds(["deploys", "list", "--release", FIRST]);
  assert.match(deploys, /production/);
  assert.match(deploys, /deploy 41/);
});

test("events that name a release count for it: last event and new issues", async () => {
  Sentry.init({ dsn, release: FIRST, environment: "production" });
  Sentry.captureException(new Error("Cart total is negative"));
  await Sentry.flush(5_000);
  const deadline = Date.now() + 60_000;
  let release;
  for (;;) {
    release = await api(releasePath(FIRST)).catch(() => null);
    if (release?.lastEvent) break;
    assert.ok(Date.now() < deadline, `no event counted for ${FIRST}: ${JSON.stringify(release)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(release.newGroups, 1);
  assert.match(succeeds(["releases", "info", FIRST]), /Last event/);
  const list = succeeds(["releases", "list"]);
  const row = list.split("\n").find((line) => line.includes(FIRST));
  assert.match(row, /\|\s*1\s*\|/, list);
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
