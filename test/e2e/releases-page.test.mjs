// The Releases pages in Debian's headless Chromium, against a local Faultline (the Worker under
// `wrangler dev`, the dashboard under `wrangler pages dev`, one shared D1): releases made through
// the API as sentry-cli makes them, with commits and deploys, one named by a real @sentry/node
// event and its session, the list with health, a release's page with its health, and the issue
// page's link to the release it was first seen in.
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
const OLD = "shop@2.3.0";
const NEW = "shop@2.4.0+build 7";

let stack;
let browser;

/**
 * A write to the API with the seeded token, as sentry-cli sends it. `wrangler pages dev` refuses
 * connections while it rebuilds the Functions after a source file changed: such a request, which
 * never reached the dashboard, is sent again.
 */
async function send(method, path, body) {
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(`${stack.dashboardUrl}/api/0${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      if (attempt === 10) throw err;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }
}

const releasePath = (version, rest = "") => `/organizations/faultline/releases/${encodeURIComponent(version)}/${rest}`;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startDashboardStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });

  await send("POST", "/organizations/faultline/releases/", { version: OLD, projects: ["default"] });
  await send("PUT", releasePath(OLD), { dateReleased: new Date(Date.now() - 86_400_000).toISOString() });
  await send("POST", "/organizations/faultline/releases/", { version: NEW, projects: ["default"], url: "https://ci.example.com/builds/7" });
  await send("PUT", releasePath(NEW), {
    commits: [
      {
        id: "8f2b6d0c1e4a7b9d3c5e6f708192a3b4c5d6e7f8",
        repository: "acme/shop",
        message: "Round cart totals before charging\n\nCloses #41.",
        author_name: "Ada Lovelace",
        author_email: "ada@example.com",
        timestamp: new Date(Date.now() - 3_600_000).toISOString(),
      },
      {
        id: "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
        repository: "acme/shop",
        message: "Show the cart's currency",
        author_name: "Grace Hopper",
        author_email: "grace@example.com",
        timestamp: new Date(Date.now() - 7_200_000).toISOString(),
      },
    ],
  });
  await send("POST", releasePath(NEW, "deploys/"), { environment: "staging", name: "staging #7" });
  await send("POST", releasePath(NEW, "deploys/"), { environment: "production", url: "https://shop.example.com" });
  await send("PUT", releasePath(NEW), { dateReleased: new Date().toISOString() });

  Sentry.init({ dsn: stack.dsn, release: NEW, environment: "production" });
  Sentry.captureException(new TypeError("Cannot read properties of undefined (reading 'currency')"));
  await Sentry.flush(10_000);
  await waitForIssue(stack, /reading 'currency'/);
  // The SDK's session (begun with init, an error in it) reaches the release's health.
  for (const deadline = Date.now() + UI_WAIT_MS; ;) {
    const release = await (
      await fetch(`${stack.dashboardUrl}/api/0${releasePath(NEW)}?health=1`, { headers: { authorization: `Bearer ${stack.apiToken}` } })
    ).json();
    if (release.projects?.[0]?.hasHealthData) {
      assert.deepEqual(
        [
          release.projects[0].healthData.totalSessions,
          release.projects[0].healthData.sessionsErrored,
          release.projects[0].healthData.crashFreeSessions,
        ],
        [1, 1, 100],
      );
      break;
    }
    assert.ok(Date.now() < deadline, "the session reached the release's health");
    await new Promise((r) => setTimeout(r, 500));
  }
});

after(async () => {
  await Sentry.close(2_000).catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

test("the Releases page lists releases, a release's page shows its deploys, commits and new issues, and the issue links to it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  try {
    await page.goto(`${stack.dashboardUrl}/login`);
    await page.getByLabel("Email").fill(stack.login.email);
    await page.getByLabel("Password").fill(stack.login.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Releases" }).click();
    await page.getByRole("heading", { name: "Releases" }).waitFor();
    const table = page.locator("table.releases");
    const row = (version) => table.locator("tr", { has: page.getByRole("link", { name: version, exact: true }) });
    await row(NEW).waitFor();
    await row(OLD).waitFor();
    assert.deepEqual(await table.locator("tbody tr td:first-child a").allTextContents(), [NEW, OLD]);
    // Adoption, crash-free sessions and users (no user id: none), then new issues.
    assert.deepEqual(
      (await row(NEW).locator("td.num").allTextContents()).map((t) => t.trim()),
      ["100.0%", "100.0%", "—", "1"],
    );
    await row(NEW).getByText("production").waitFor();
    await row(OLD).getByText("—").last().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-releases.png"), fullPage: true });

    // Searching narrows the list, in the URL.
    await page.getByLabel("Search releases").fill("2.3");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/query=2\.3/);
    await table.getByRole("link", { name: NEW, exact: true }).waitFor({ state: "detached" });
    await table.getByRole("link", { name: OLD, exact: true }).waitFor();
    assert.deepEqual(await table.locator("tbody tr td:first-child a").allTextContents(), [OLD]);
    await page.goBack();

    await table.getByRole("link", { name: NEW, exact: true }).click();
    await page.getByRole("heading", { name: NEW, level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Deploys (2)" }).waitFor();
    const deploys = page.locator("table.deploys tbody tr");
    await deploys.nth(1).waitFor();
    assert.deepEqual(
      (await deploys.locator("td:first-child").allTextContents()).map((t) => t.trim()),
      ["production", "staging"],
    );
    await page.getByRole("heading", { name: "Commits (2)" }).waitFor();
    await page.locator("table.commits").getByText("Round cart totals before charging").waitFor();
    assert.equal(await page.locator("table.commits").getByText("Closes #41.").count(), 0, "only the subject line");
    await page.getByRole("heading", { name: "New issues (1)" }).waitFor();
    const issueLink = page.getByRole("link", { name: /reading 'currency'/ });
    await issueLink.waitFor();
    await page.getByRole("link", { name: "https://ci.example.com/builds/7" }).waitFor();
    // Its health: sessions and crash-free rate over time (uPlot), and per environment.
    await page.getByRole("heading", { name: "Health, last 48 hours" }).waitFor();
    await page.locator("table.release-health").getByText("production").waitFor();
    assert.deepEqual(
      (await page.locator("table.release-health tbody tr td.num").allTextContents()).map((t) => t.trim()),
      ["1", "100.0%", "0", "—"],
    );
    await page.locator(".chart-box canvas").nth(1).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-release.png"), fullPage: true });

    await issueLink.click();
    await page.getByRole("heading", { name: /reading 'currency'/, level: 1 }).waitFor();
    // The issue page shows a release's short version: the package before "@" left out.
    const firstRelease = page.getByRole("complementary", { name: "Issue summary" }).getByRole("link", { name: "2.4.0+build 7" }).first();
    await firstRelease.click();
    await page.getByRole("heading", { name: NEW, level: 1 }).waitFor();
    assert.match(page.url(), new RegExp(`/organizations/faultline/releases/${encodeURIComponent(NEW).replace(/[+]/g, "\\+")}$`));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
