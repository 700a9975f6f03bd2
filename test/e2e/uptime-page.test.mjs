// The Crons page's Uptime section in Debian's headless Chromium, against a local Faultline (the
// Worker under `wrangler dev`, the dashboard under `wrangler pages dev`, one shared D1) and a
// local HTTP server for the monitors to watch: monitors made through the form (a URL the API
// refuses is named there), checked by the minute job through the Worker's scheduled handler,
// then shown up and down with their uptime, latency, chart and checks, disabled and deleted. The
// Crons page's code is fetched when first shown, so the file also sees a failed fetch of it.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { ROOT, freePort } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack } from "./harness/dashboard-stack.mjs";

const SCREENSHOTS = join(ROOT, "test-results");
const UI_WAIT_MS = 60_000;

let stack;
let target;
let targetUrl;
const hits = { health: 0, broken: 0 };

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // What the monitors watch: a healthy endpoint and one that answers 503.
  target = createServer((req, res) => {
    if (req.url === "/health") {
      hits.health++;
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else {
      hits.broken++;
      res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
    }
  });
  // A port from the stack's own pool: one the kernel hands out could meet wrangler's.
  const port = await freePort();
  await new Promise((resolve) => target.listen(port, "127.0.0.1", resolve));
  targetUrl = `http://127.0.0.1:${port}`;
  stack = await startDashboardStack();
});

after(async () => {
  await stack?.stop();
  await new Promise((resolve) => (target ? target.close(resolve) : resolve()));
});

/** Polls the API until the organization's uptime monitors satisfy `done`. */
async function waitForMonitors(done, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await stack.api("/organizations/faultline/uptime/");
      if (done(last)) return last;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`uptime monitors: ${JSON.stringify(last)}\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("uptime monitors made in the form are checked, shown up and down with uptime, latency and a chart, then disabled and deleted", async () => {
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

    // The Crons page's code comes when it is first shown: when it cannot be fetched (a deploy
    // replaced it), the page says so and a reload brings it.
    const cronsChunk = /\/assets\/crons-page-[^/]*\.js$/;
    await page.route(cronsChunk, (route) => route.fulfill({ status: 404, body: "" }));
    await page.getByRole("link", { name: "Crons" }).click();
    await page.getByRole("alert").filter({ hasText: "This page could not be loaded." }).waitFor();
    await page.unroute(cronsChunk);
    await page.getByRole("button", { name: "Reload" }).click();
    await page.getByRole("heading", { name: "Uptime" }).waitFor();
    await page.getByText("No uptime monitors yet.").waitFor();

    // A URL the API will not watch: its sentence is shown in the form, and nothing is made.
    await page.getByRole("button", { name: "New uptime monitor" }).click();
    let form = page.getByRole("form", { name: "New uptime monitor" });
    await form.getByLabel("URL").fill("ftp://127.0.0.1/health");
    await form.getByRole("button", { name: "Create uptime monitor" }).click();
    await form.getByRole("alert").filter({ hasText: "only http and https" }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-uptime-form.png"), fullPage: true });
    await form.getByLabel("Name").fill("Shop health");
    await form.getByLabel("URL").fill(`${targetUrl}/health`);
    await form.getByRole("button", { name: "Create uptime monitor" }).click();
    // Made: its page (the minute job may check it any moment now).
    await page.getByRole("heading", { name: "Shop health" }).waitFor();

    // A second one that fails, opening an issue at its first failure.
    await page.getByRole("link", { name: "All monitors" }).click();
    await page.getByRole("button", { name: "New uptime monitor" }).click();
    form = page.getByRole("form", { name: "New uptime monitor" });
    await form.getByLabel("Name").fill("Broken API");
    await form.getByLabel("URL").fill(`${targetUrl}/broken`);
    await form.getByLabel("Method").selectOption("HEAD");
    await form.getByLabel("Check every").selectOption({ label: "5 minutes" });
    await form.getByLabel("Failed checks before an issue").fill("1");
    await form.getByRole("button", { name: "Create uptime monitor" }).click();
    await page.getByRole("heading", { name: "Broken API" }).waitFor();

    // The minute trigger, as the stack fires it every minute, run now: both are due.
    assert.equal(await stack.runScheduled("* * * * *", Date.now()), 200);
    await waitForMonitors((list) => list.length === 2 && list.every((m) => m.lastCheckedAt !== null));
    assert.ok(hits.health >= 1 && hits.broken >= 1, JSON.stringify(hits));

    await page.getByRole("link", { name: "All monitors" }).click();
    const table = page.locator("table.uptime-monitors");
    const row = (name) => table.locator("tr", { has: page.getByRole("link", { name, exact: true }) });
    await row("Shop health").getByText("Up", { exact: true }).waitFor();
    await row("Shop health").getByText("100.0%").waitFor();
    await row("Shop health").getByText("every minute").waitFor();
    await row("Shop health").locator(".checkin-timeline .tick.status-ok").waitFor();
    await row("Shop health")
      .getByText(/^\d+(\.\d+)? ms$/)
      .waitFor();
    await row("Broken API").getByText("Down", { exact: true }).waitFor();
    await row("Broken API").getByText("0.0%").waitFor();
    await row("Broken API").getByText("HEAD").waitFor();
    await row("Broken API").getByText("every 5 minutes").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-uptime.png"), fullPage: true });

    // A monitor's page: its uptime and latency charts, and the check with its status code.
    await table.getByRole("link", { name: "Broken API" }).click();
    await page.getByRole("heading", { name: "Checks" }).waitFor();
    const checks = page.locator("table.uptime-checks tbody tr");
    await checks.first().getByRole("cell", { name: "503", exact: true }).waitFor();
    await checks.first().getByText("status 503").waitFor();
    assert.equal(await checks.count(), 1);
    // Made before the page was drawn: in the past, however recently the clock last ticked.
    assert.doesNotMatch(await checks.first().innerText(), /in a few seconds/);
    await page.locator(".chart-box .u-over").first().waitFor();
    assert.equal(await page.locator(".chart-box canvas").count(), 2);
    await page.getByRole("heading", { name: "Uptime 0.0%" }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-uptime-monitor.png"), fullPage: true });

    // Its issue, one link away: the stream searched by the monitor's tag.
    await page.getByRole("link", { name: "open issues" }).click();
    await page.getByRole("row").filter({ hasText: "Uptime failure: Broken API" }).waitFor();
    await page.goBack();
    await page.getByRole("heading", { name: "Checks" }).waitFor();

    // Disabled: no longer checked, and said so; then deleted.
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByText("Disabled", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    const [broken] = (await stack.api("/organizations/faultline/uptime/")).filter((m) => m.name === "Broken API");
    assert.equal(broken.status, "disabled");
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Crons" }).waitFor();
    await row("Shop health").waitFor();
    assert.equal(await table.getByRole("link", { name: "Broken API" }).count(), 0);
    assert.deepEqual(
      (await stack.api("/organizations/faultline/uptime/")).map((m) => m.name),
      ["Shop health"],
    );

    // Edited: the interval changes, and a status range upside down is named, not saved.
    await table.getByRole("link", { name: "Shop health" }).click();
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit uptime monitor" });
    await edit.getByLabel("Lowest status").fill("300");
    await edit.getByLabel("Highest status").fill("200");
    await edit.getByRole("button", { name: "Save uptime monitor" }).click();
    await edit.getByRole("alert").filter({ hasText: "expectedStatusMin" }).waitFor();
    await edit.getByLabel("Lowest status").fill("200");
    await edit.getByLabel("Check every").selectOption({ label: "10 minutes" });
    await edit.getByRole("button", { name: "Save uptime monitor" }).click();
    await page.getByText("every 10 minutes").waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
