// A freshly deployed Faultline, with no user yet: the dashboard offers its one-time setup, which
// makes the first owner, organization, project and DSN key, logs them in, and is then gone.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack } from "./harness/dashboard-stack.mjs";

const SCREENSHOTS = join(ROOT, "test-results");
const UI_WAIT_MS = 60_000;

let stack;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startDashboardStack();
  // What a new deployment has: the schema and nothing in it.
  await stack.query(
    "DELETE FROM sessions; DELETE FROM api_tokens; DELETE FROM memberships; DELETE FROM users; DELETE FROM project_keys; DELETE FROM projects; DELETE FROM organizations;",
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test("the first visitor of an instance without users sets it up, once", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));

  await page.goto(`${stack.dashboardUrl}/organizations/anything/issues`);
  await page.waitForURL((url) => url.pathname === "/setup", { waitUntil: "commit" });
  await page.getByRole("heading", { name: "Set up Faultline" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByLabel("Email").fill("ada@acme.example");
  await page.getByLabel("Password (8 characters or more)").fill("analytical engine");
  await page.getByLabel("Password again").fill("analytical engine");
  await page.getByLabel("Organization").fill("Acme");
  await page.getByLabel("Project").fill("Web Shop");
  await page.getByLabel("Platform").selectOption("python-django");
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-setup.png"), fullPage: true });
  await page.getByRole("button", { name: "Create account and project" }).click();

  await page.waitForURL(/\/organizations\/acme\/projects\/web-shop\/getting-started$/, { waitUntil: "commit" });
  assert.match(await page.getByTestId("dsn").innerText(), /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
  assert.equal(await page.getByRole("tab", { name: "Django" }).getAttribute("aria-selected"), "true");
  assert.match(await page.getByTestId("snippet").innerText(), /integrations=\[DjangoIntegration\(\)\]/);

  // Once: the setup page now sends people to log in, and the API refuses a second setup.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL((url) => url.pathname === "/login", { waitUntil: "commit" });
  await page.goto(`${stack.dashboardUrl}/setup`);
  await page.getByRole("heading", { name: "Already set up" }).waitFor();
  const again = await fetch(`${stack.dashboardUrl}/auth/setup`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: stack.dashboardUrl },
    body: JSON.stringify({ organizationName: "Evil", projectName: "x", email: "eve@evil.example", password: "long enough" }),
  });
  assert.equal(again.status, 403);

  // The new owner logs in with what they chose.
  await page.goto(`${stack.dashboardUrl}/login`);
  await page.getByLabel("Email").fill("ada@acme.example");
  await page.getByLabel("Password").fill("analytical engine");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/organizations\/acme\/issues/, { waitUntil: "commit" });
  assert.deepEqual(errors, []);
  await context.close();
});
