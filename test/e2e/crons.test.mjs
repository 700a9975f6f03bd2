// Cron monitors end to end against a local Faultline (the Worker under `wrangler dev`, the
// dashboard under `wrangler pages dev`, one shared D1): the real `sentry-cli monitors run` for a
// job that succeeds and one that fails, @sentry/node's withMonitor, the HTTP check-in URL, a
// missed run found by the minute job through the Worker's scheduled handler, the Crons pages
// in Debian's headless Chromium, and an uptime monitor of a local server that goes down and comes
// back: its issue opens and resolves.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { chromium } from "playwright-core";
import { ROOT, freePort } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack } from "./harness/dashboard-stack.mjs";

const SENTRY_CLI = resolve(ROOT, "node_modules/.bin/sentry-cli");
const SCREENSHOTS = join(ROOT, "test-results");
const UI_WAIT_MS = 60_000;

let stack;
let home;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // sentry-cli reads ~/.sentryclirc: an empty home of our own.
  home = mkdtempSync(join(tmpdir(), "faultline-crons-home-"));
  stack = await startDashboardStack();
});

after(async () => {
  await Sentry.close(2000).catch(() => undefined);
  await stack?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Polls the API until the monitor's check-ins satisfy `done`; queue delivery is asynchronous. */
async function waitForCheckIns(slug, done, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await stack.api(`/organizations/faultline/monitors/${slug}/checkins/`);
      if (done(last)) return last;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`check-ins of ${slug}: ${JSON.stringify(last)}\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function issueTitles() {
  const issues = await stack.api("/organizations/faultline/issues/?project=1&query=");
  return issues.map((i) => i.title).sort();
}

function monitorsRun(slug, exitCode) {
  return spawnSync(
    SENTRY_CLI,
    [
      "monitors",
      "run",
      "--schedule",
      "*/5 * * * *",
      "--check-in-margin",
      "5",
      "--max-runtime",
      "10",
      slug,
      "--",
      process.execPath,
      "-e",
      `process.exit(${exitCode})`,
    ],
    { env: { PATH: process.env.PATH, HOME: home, SENTRY_DSN: stack.dsn }, encoding: "utf8", timeout: 60_000 },
  );
}

test("sentry-cli monitors run: a job that succeeds is one ok run, one that fails an error run and an issue", async () => {
  const ok = monitorsRun("cli-nightly", 0);
  assert.equal(ok.status, 0, ok.stderr);
  const okRuns = await waitForCheckIns("cli-nightly", (c) => c.length === 1 && c[0].status === "ok");
  assert.equal(typeof okRuns[0].duration, "number");

  const failed = monitorsRun("cli-broken", 3);
  assert.equal(failed.status, 3, "sentry-cli passes the job's exit code on");
  await waitForCheckIns("cli-broken", (c) => c.length === 1 && c[0].status === "error");
  const monitor = await stack.api("/organizations/faultline/monitors/cli-broken/");
  assert.equal(monitor.status, "error");
  assert.deepEqual(monitor.config.schedule, "*/5 * * * *");
  assert.ok((await issueTitles()).includes("Cron failure: cli-broken"));
});

test("@sentry/node's withMonitor: the run's in_progress and ok are one check-in, and the config creates the monitor", async () => {
  Sentry.init({ dsn: stack.dsn, release: "jobs@1.0.0", defaultIntegrations: false });
  const result = await Sentry.withMonitor("node-report", async () => "done", {
    schedule: { type: "interval", value: 1, unit: "hour" },
    checkinMargin: 2,
    maxRuntime: 5,
    timezone: "Europe/Vienna",
  });
  assert.equal(result, "done");
  await Sentry.flush(5000);
  const [run] = await waitForCheckIns("node-report", (c) => c.length === 1 && c[0].status === "ok");
  assert.equal(run.environment, "production");
  const monitor = await stack.api("/organizations/faultline/monitors/node-report/");
  assert.deepEqual(monitor.config.schedule, [1, "hour"]);
  assert.equal(monitor.config.timezone, "Europe/Vienna");
  assert.ok(monitor.nextCheckIn !== null);
});

test("the HTTP check-in URL, and a missed run found by the minute job through the scheduled handler", async () => {
  const url = `${stack.ingestUrl}/api/1/cron/http-heartbeat/${stack.publicKey}/`;
  const created = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "ok", monitor_config: { schedule: { type: "crontab", value: "* * * * *" }, checkin_margin: 1 } }),
  });
  assert.equal(created.status, 202);
  await waitForCheckIns("http-heartbeat", (c) => c.length === 1);
  assert.equal((await fetch(`${url}?status=in_progress`)).status, 202);
  await waitForCheckIns("http-heartbeat", (c) => c.length === 2);
  assert.equal((await fetch(`${url}?status=ok`)).status, 202);
  await waitForCheckIns("http-heartbeat", (c) => c.length === 2 && c.every((x) => x.status === "ok"));
  const wrongKey = await fetch(`${stack.ingestUrl}/api/1/cron/http-heartbeat/${"0".repeat(32)}/?status=ok`);
  assert.equal(wrongKey.status, 401);

  // The minute trigger, as the stack fires it every minute, run now as if five minutes later.
  const status = await stack.runScheduled("* * * * *", Date.now() + 5 * 60_000);
  assert.equal(status, 200);
  const runs = await waitForCheckIns("http-heartbeat", (c) => c.some((x) => x.status === "missed"));
  assert.equal(runs.filter((x) => x.status === "missed").length, 1);
  assert.equal((await stack.api("/organizations/faultline/monitors/http-heartbeat/")).status, "missed_checkin");
  assert.ok((await issueTitles()).includes("Missed check-in: http-heartbeat"));
});

test("the Crons page lists each monitor with its schedule, status and timeline, and a monitor's page its check-ins", async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_WAIT_MS);
    const errors = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(`${stack.dashboardUrl}/login`);
    await page.getByLabel("Email").fill(stack.login.email);
    await page.getByLabel("Password").fill(stack.login.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });

    await page.getByRole("link", { name: "Crons" }).click();
    await page.getByRole("heading", { name: "Crons" }).waitFor();
    const table = page.locator("table.monitors");
    await table.getByRole("link", { name: "cli-broken" }).waitFor();
    for (const slug of ["cli-nightly", "cli-broken", "node-report", "http-heartbeat"])
      await table.getByRole("link", { name: slug }).waitFor();
    const row = (slug) => table.locator("tr", { has: page.getByRole("link", { name: slug, exact: true }) });
    await row("cli-broken").getByText("Failing").first().waitFor();
    await row("http-heartbeat").getByText("Missed").first().waitFor();
    await row("cli-nightly").getByText("*/5 * * * * (UTC)").waitFor();
    // The timelines: one mark per check-in.
    await row("http-heartbeat").locator(".checkin-timeline .tick.status-missed").waitFor();
    assert.equal(await row("http-heartbeat").locator(".checkin-timeline .tick").count(), 3);
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-crons.png"), fullPage: true });

    await table.getByRole("link", { name: "http-heartbeat" }).click();
    await page.getByRole("heading", { name: "Check-ins" }).waitFor();
    await page.locator("table.list tbody tr").nth(2).waitFor();
    assert.equal(await page.locator("table.list tbody tr").count(), 3);
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-monitor.png"), fullPage: true });

    // A monitor made without an SDK, then edited: a wrong timezone is named, nothing saved.
    await page.getByRole("link", { name: "All monitors" }).click();
    await page.getByRole("button", { name: "New monitor" }).click();
    const create = page.getByRole("form", { name: "New monitor" });
    await create.getByLabel("Name").fill("Form backup");
    await create.getByLabel("Interval", { exact: true }).fill("2");
    await create.getByRole("button", { name: "Create monitor" }).click();
    await row("Form backup").getByText("every 2 hours").waitFor();
    await table.getByRole("link", { name: "Form backup" }).click();
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit monitor" });
    await edit.getByLabel("Crontab schedule").fill("30 2 * * *");
    await edit.getByLabel("Timezone").fill("Mars/Olympus");
    await edit.getByRole("button", { name: "Save monitor" }).click();
    await edit.getByRole("alert").filter({ hasText: "unknown timezone" }).waitFor();
    await edit.getByLabel("Timezone").fill("Europe/Berlin");
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-monitor-edit.png"), fullPage: true });
    await edit.getByRole("button", { name: "Save monitor" }).click();
    await page.getByText("30 2 * * * (Europe/Berlin)").waitFor();
    const [saved] = (await stack.api("/organizations/faultline/monitors/")).filter((m) => m.name === "Form backup");
    assert.deepEqual(saved.config.schedule, "30 2 * * *");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("an uptime monitor of a local server: down twice opens its issue, up again resolves it", async () => {
  let up = true;
  const site = createServer((req, res) => res.writeHead(up ? 200 : 503).end(up ? "ok" : "down"));
  const port = await freePort();
  await new Promise((done) => site.listen(port, "127.0.0.1", done));
  try {
    const created = await fetch(`${stack.dashboardUrl}/api/0/projects/faultline/default/uptime/`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "local-shop", url: `http://127.0.0.1:${port}/health`, intervalSeconds: 60, downtimeThreshold: 2 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json();
    const issue = async () =>
      (await stack.api("/projects/faultline/default/issues/?query=")).find((i) => i.title === "Uptime failure: local-shop");
    // The minute trigger, as the stack fires it every minute, run now as if each next minute had come.
    let minute = Date.now();
    const nextMinute = async () => {
      minute += 60_000;
      assert.equal(await stack.runScheduled("* * * * *", minute), 200);
    };
    await nextMinute();
    up = false;
    await nextMinute();
    assert.equal(await issue(), undefined);
    await nextMinute();
    assert.equal((await issue())?.status, "unresolved");
    assert.equal((await stack.api(`/projects/faultline/default/uptime/${id}/`)).uptimeStatus, 2);
    up = true;
    await nextMinute();
    assert.equal((await issue())?.status, "resolved");
    assert.equal((await stack.api(`/projects/faultline/default/uptime/${id}/`)).uptimeStatus, 1);
    const checks = await stack.api(`/projects/faultline/default/uptime/${id}/checks/`);
    assert.deepEqual(
      checks.map((c) => [c.checkStatus, c.httpStatusCode]),
      [
        ["success", 200],
        ["failure_incident", 503],
        ["failure", 503],
        ["success", 200],
      ],
    );
    // Two hours around the checks, which the minute runs above scheduled ahead of the clock; the
    // buckets start on a multiple of the resolution, so the checks may fall in either bucket.
    const since = Math.floor(Date.now() / 1000) - 3600;
    const stats = await stack.api(
      `/organizations/faultline/uptime-stats/?uptimeDetectorId=${id}&since=${since}&until=${since + 7200}&resolution=2h`,
    );
    assert.ok(stats[id].every(([start]) => start % 7200 === 0));
    assert.deepEqual(
      stats[id].reduce((sum, [, c]) => [sum[0] + c.success, sum[1] + c.failure, sum[2] + c.failure_incident], [0, 0, 0]),
      [2, 1, 1],
    );
  } finally {
    await new Promise((done) => site.close(done));
  }
});
