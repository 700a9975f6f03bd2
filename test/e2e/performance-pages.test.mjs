// The dashboard's performance pages in Debian's headless Chromium, on a real @sentry/node trace:
// the transactions table (sortable, its range in the URL), a transaction's summary with its uPlot
// charts, and the trace waterfall reached from an issue's event, with the error marked on its span.
// Screenshots go to test-results/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack, waitForIssue } from "./harness/dashboard-stack.mjs";

const SCREENSHOTS = join(ROOT, "test-results");
const UI_WAIT_MS = 60_000;

let stack;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startDashboardStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Requests traced by the real SDK: a few of each route, and one checkout that fails in its query. */
async function sendTraces() {
  Sentry.init({ dsn: stack.dsn, release: "shop@3.0.0", environment: "production", tracesSampleRate: 1 });
  for (const [route, ms, count] of [
    ["GET /orders", 15, 4],
    ["GET /checkout", 40, 3],
    ["POST /cart", 5, 2],
  ]) {
    for (let i = 0; i < count; i += 1) {
      const fail = route === "GET /checkout" && i === count - 1;
      await Sentry.startNewTrace(() =>
        Sentry.startSpan({ name: route, op: "http.server" }, async () => {
          await Sentry.startSpan({ name: "SELECT * FROM carts", op: "db.query" }, async () => {
            await sleep(ms);
            if (fail) Sentry.captureException(new Error("card declined"));
          });
          await Sentry.startSpan({ name: "render", op: "template.render" }, () => sleep(2));
        }),
      );
    }
  }
  // Closed, so the test's own requests (the SDK traces fetch) send nothing more.
  assert.equal(await Sentry.close(10_000), true);
}

test("performance pages: the transactions table, a summary, and a trace from an issue", { timeout: 300_000 }, async () => {
  await sendTraces();
  const deadline = Date.now() + UI_WAIT_MS;
  for (;;) {
    const table = await stack.api("/organizations/faultline/events/?dataset=transactions&field=transaction&field=count()&statsPeriod=1h");
    if (table.data.reduce((n, r) => n + r["count()"], 0) === 9) break;
    if (Date.now() > deadline) throw new Error(`transactions did not arrive: ${JSON.stringify(table)}\n${stack.output()}`);
    await sleep(500);
  }
  const issue = await waitForIssue(stack, /card declined/);

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

  // The table, from the navigation.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Performance" }).click();
  await page.getByRole("link", { name: "GET /checkout" }).waitFor();
  const names = async () => page.locator("table.transactions tbody tr td:first-child a").allTextContents();
  assert.deepEqual((await names()).sort(), ["GET /checkout", "GET /orders", "POST /cart"]);
  await page.getByRole("button", { name: "p95" }).click();
  await page.waitForURL(/sort=-p95/);
  // Sorted by p95, slowest first (the cells read like "53 ms" or "1.20 s").
  const p95s = async () =>
    (await page.locator("table.transactions tbody tr td:nth-child(5)").allTextContents()).map((t) =>
      t.endsWith(" s") ? Number.parseFloat(t) * 1000 : Number.parseFloat(t),
    );
  await page.waitForFunction(() => document.querySelector("table.transactions th[aria-sort=descending]")?.textContent?.startsWith("p95"));
  const sorted = await p95s();
  assert.equal(sorted.length, 3);
  assert.deepEqual(
    sorted,
    [...sorted].sort((x, y) => y - x),
  );
  await page.getByRole("button", { name: "7 d" }).click();
  await page.waitForURL(/statsPeriod=7d/);
  await page.getByRole("link", { name: "GET /checkout" }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-performance.png"), fullPage: true });

  // A transaction's summary, with its charts.
  await page.getByRole("link", { name: "GET /checkout" }).click();
  await page.getByRole("heading", { name: "GET /checkout" }).waitFor();
  await page.locator(".perf-numbers").first().getByText("Transactions").waitFor();
  assert.equal(await page.locator(".perf-numbers dd").first().textContent(), "3");
  await page.locator(".chart-box canvas").nth(1).waitFor();
  // Its samples link to their traces: the slowest and the latest of the hour (here one of each, or one).
  const slowestTraces = page.locator("section", { has: page.getByRole("heading", { name: "Slowest" }) }).locator("tbody a");
  await slowestTraces.first().waitFor();
  assert.match(await slowestTraces.first().getAttribute("href"), /^\/organizations\/faultline\/traces\/[0-9a-f]{32}\?timestamp=\d+$/);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-transaction.png"), fullPage: true });

  // The issue's event links to its trace; the error is on the query span.
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/issues/${issue.id}`);
  await page.getByRole("link", { name: "trace", exact: true }).click();
  await page.waitForURL(/\/organizations\/faultline\/traces\/[0-9a-f]{32}/);
  await page.getByRole("heading", { name: /GET \/checkout/ }).waitFor();
  const rows = page.locator(".waterfall-row");
  await rows.nth(2).waitFor();
  assert.equal(await rows.count(), 3);
  const query = page.getByRole("button", { name: /db\.query SELECT \* FROM carts/ });
  assert.equal(await query.locator(".error-mark").count(), 1);
  await query.click();
  const details = page.getByRole("complementary", { name: "Span details" });
  await details.getByRole("link", { name: "Error: card declined" }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-trace.png"), fullPage: true });
  // And back to the issue.
  await details.getByRole("link", { name: "Error: card declined" }).click();
  await page.waitForURL(new RegExp(`/issues/${issue.id}$`));

  assert.deepEqual(errors, []);
  await context.close();
});
