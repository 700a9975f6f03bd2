// The dashboard in Debian's headless Chromium, against a Worker and a Pages dev server sharing one
// local D1: logging in, an issue made by the real @sentry/browser, triage, XSS payloads rendered
// inert, and every page closed to visitors without a session.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack, waitForIssue } from "./harness/dashboard-stack.mjs";
import { serveSdkPage } from "./harness/serve-sdk-page.mjs";

const SCREENSHOTS = join(ROOT, "test-results");
// Generous, for a slow machine: how long a page may take to show what the test waits for.
const UI_WAIT_MS = 60_000;

let stack;
let browser;
let sdkPage;

/** The dashboard's page table (dashboard/src/page-routes.ts), loaded from its source. */
async function pageRoutes() {
  const out = await build({
    entryPoints: [join(ROOT, "dashboard", "src", "page-routes.ts")],
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  const module = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].contents).toString("base64")}`);
  return module.PAGE_ROUTES;
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  return { page, errors, close: () => context.close() };
}

async function logIn(page) {
  await page.goto(`${stack.dashboardUrl}/login`);
  await page.getByLabel("Email").fill(stack.login.email);
  await page.getByLabel("Password").fill(stack.login.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, sdkPage] = await Promise.all([
    startDashboardStack(),
    serveSdkPage(fileURLToPath(new URL("./harness/dashboard-page.mjs", import.meta.url)), "Shop"),
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  await sdkPage?.close();
  await stack?.stop();
});

test("every page sends a visitor without a session to the login page, and the API answers 401", async () => {
  const routes = (await pageRoutes()).filter((r) => !r.public);
  assert.ok(routes.length >= 8, "the page table was read");
  const { page, close } = await newPage();
  const apiAnswers = [];
  page.on("response", (res) => {
    if (new URL(res.url()).pathname.startsWith("/api/0/")) apiAnswers.push(res.status());
  });
  for (const route of routes) {
    const path = route.pattern.replace(":org", "faultline").replace(":project", "default").replace(":issueId", "1");
    await page.goto(`${stack.dashboardUrl}${path}`);
    await page.waitForURL((url) => url.pathname === "/login", { waitUntil: "commit" });
    assert.equal(new URL(page.url()).searchParams.get("next"), path, `${path} comes back after login`);
    await page.getByRole("heading", { name: "Log in to Faultline" }).waitFor();
  }
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-login.png") });
  assert.ok(
    apiAnswers.every((status) => status === 401),
    `API answers without a session: ${apiAnswers}`,
  );
  const res = await fetch(`${stack.dashboardUrl}/api/0/organizations/faultline/issues/`);
  assert.equal(res.status, 401);
  await close();
});

test("a @sentry/browser error becomes an issue a person logs in to find, read and resolve", async () => {
  // The error, sent by the real SDK from a page of another origin.
  const { page: shop, close: closeShop } = await newPage();
  await shop.goto(`${sdkPage.origin}/`);
  const sent = await shop.evaluate((dsn) => window.reportCheckoutError(dsn), stack.dsn);
  assert.equal(sent.flushed, true);
  await closeShop();
  const issue = await waitForIssue(stack, /^SyntaxError/);

  const { page, errors, close } = await newPage();
  await logIn(page);

  // The stream: the issue, its counts and a relative time with the exact one on hover.
  const row = page.getByRole("row").filter({ hasText: issue.title });
  await row.waitFor();
  assert.match(await row.innerText(), /SyntaxError/);
  const seen = row.locator("time").first();
  assert.match((await seen.getAttribute("title")) ?? "", /\d{4}-\d{2}-\d{2}T/);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-issue-stream.png"), fullPage: true });

  // The issue page: stack trace and breadcrumbs of the event.
  await row.getByRole("link", { name: issue.title }).click();
  await page.waitForURL(new RegExp(`/organizations/faultline/issues/${issue.id}$`), { waitUntil: "commit" });
  await page.getByRole("heading", { level: 1, name: issue.title }).waitFor();
  const exception = page.locator("section", { has: page.getByRole("heading", { name: "Exception" }) });
  await exception.getByText("parseCartTotal").first().waitFor();
  const breadcrumbs = page.locator("section", { has: page.getByRole("heading", { name: "Breadcrumbs" }) });
  await breadcrumbs.getByText("button#pay-now").waitFor();
  await page.getByRole("heading", { name: "User", exact: true }).waitFor();
  await page.locator(".chart-box canvas").waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-issue.png"), fullPage: true });

  // Ignore it until it happens 100 more times, the menu opened from the keyboard; then until a
  // date of one's own; then bring it back.
  const ignoreMenu = page.locator("summary", { hasText: "Ignore until…" });
  await ignoreMenu.focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "100 more times" }).click();
  await page.getByText("ignored until 100 more events").waitFor();
  assert.equal((await stack.api(`/issues/${issue.id}/`)).statusDetails.ignoreCount, 100);
  await page.getByRole("button", { name: "Unresolve" }).click();
  await page.getByRole("button", { name: "Unresolve" }).waitFor({ state: "detached" });
  await ignoreMenu.click();
  await page.getByRole("button", { name: "Ignore until then" }).click();
  await page.getByRole("alert").filter({ hasText: "Enter a number of events, a date, or both." }).waitFor();
  await page.getByLabel("Date").fill("2031-05-04T10:30");
  await page.getByRole("button", { name: "Ignore until then" }).click();
  await page.getByText(/^ignored until .*2031/).waitFor();
  const ignored = await stack.api(`/issues/${issue.id}/`);
  assert.equal(ignored.status, "ignored");
  assert.equal(Date.parse(ignored.statusDetails.ignoreUntil), new Date(2031, 4, 4, 10, 30).getTime());
  await page.getByRole("button", { name: "Unresolve" }).click();
  await page.getByRole("button", { name: "Unresolve" }).waitFor({ state: "detached" });

  // Resolve it, from the keyboard.
  await page.getByRole("button", { name: "Resolve", exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Unresolve" }).waitFor();
  assert.equal((await stack.api(`/issues/${issue.id}/`)).status, "resolved");

  // Gone from the default stream, found under is:resolved.
  await page.getByRole("link", { name: "Issues" }).click();
  await page.waitForURL(/\/organizations\/faultline\/issues$/, { waitUntil: "commit" });
  await page.getByText("No issues match this search.").waitFor();
  const search = page.getByRole("searchbox", { name: "Search issues" });
  await search.fill("is:resolved");
  await search.press("Enter");
  await page.waitForURL(/query=is%3Aresolved/, { waitUntil: "commit" });
  await page.getByRole("row").filter({ hasText: issue.title }).waitFor();
  assert.deepEqual(errors, []);
  await close();
});

test("markup in an event's message, tags, frames, breadcrumbs and request stays text", async () => {
  const payload = (where) => `<img src=x onerror="window.__xss='${where}'"><script>window.__xss='${where}-script'</script>`;
  const eventId = randomBytes(16).toString("hex");
  const event = {
    event_id: eventId,
    platform: "javascript",
    level: "error",
    timestamp: Date.now() / 1000,
    message: payload("message"),
    tags: { xss_tag: payload("tag") },
    exception: {
      values: [
        {
          type: "XssProbe",
          value: payload("exception"),
          stacktrace: {
            frames: [
              {
                filename: "app/<script>window.__xss='file'</script>.js",
                function: payload("function"),
                lineno: 3,
                pre_context: [payload("pre")],
                context_line: payload("context"),
                post_context: [],
                in_app: true,
                vars: { html: payload("var") },
              },
            ],
          },
        },
      ],
    },
    breadcrumbs: { values: [{ timestamp: Date.now() / 1000, category: payload("category"), message: payload("crumb") }] },
    request: { url: "https://shop.example/search?q=%3Cscript%3E", method: "GET", headers: { "X-Probe": payload("header") } },
    user: { id: payload("user") },
    extra: { note: payload("extra") },
  };
  const res = await fetch(`${stack.ingestUrl}/api/1/store/?sentry_key=${stack.publicKey}&sentry_version=7`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  assert.equal(res.status, 200, await res.text());
  const issue = await waitForIssue(stack, /^XssProbe/);

  const { page, close } = await newPage();
  await logIn(page);
  const probe = async (where) => {
    const found = await page.evaluate(() => ({
      flag: window.__xss ?? null,
      images: document.querySelectorAll("img").length,
      handlers: document.querySelectorAll("[onerror]").length,
      inlineScripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
    }));
    assert.deepEqual(found, { flag: null, images: 0, handlers: 0, inlineScripts: 0 }, where);
  };
  await page.getByRole("row").filter({ hasText: "XssProbe" }).waitFor();
  await probe("issue stream");
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/issues/${issue.id}`);
  await page.getByText(`window.__xss='var'`, { exact: false }).first().waitFor();
  await page.getByText(`window.__xss='crumb'`, { exact: false }).first().waitFor();
  await page.getByText(`window.__xss='header'`, { exact: false }).first().waitFor();
  await probe("issue page");
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-issue-markup.png"), fullPage: true });
  // The payload is on the page as the characters that were sent.
  const text = await page.locator("main").innerText();
  assert.ok(text.includes(`<img src=x onerror="window.__xss='exception'">`), "the exception value is shown as text");

  // Bulk triage from the keyboard: "/" to search, Space to select, Enter to ignore.
  await page.getByRole("link", { name: "Issues" }).click();
  await page.getByRole("row").filter({ hasText: "XssProbe" }).waitFor();
  await page.keyboard.press("/");
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type("is:unresolved XssProbe");
  await page.keyboard.press("Enter");
  await page.waitForURL(/query=is%3Aunresolved\+XssProbe/, { waitUntil: "commit" });
  await page.getByRole("checkbox", { name: /^Select DEFAULT-/ }).focus();
  await page.keyboard.press("Space");
  await page.getByText("1 selected").waitFor();
  await page.getByRole("button", { name: "Ignore", exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.getByText("No issues match this search.").waitFor();
  assert.equal((await stack.api(`/issues/${issue.id}/`)).status, "ignored");
  await probe("after triage");
  await close();
});

test("a project is created and set up, its key disabled, a token made and revoked, a member invited", async () => {
  const { page, errors, close } = await newPage();
  await logIn(page);

  // A new project lands on its setup page: the DSN points at the Worker, the snippets use it.
  await page.getByRole("link", { name: "Projects" }).click();
  await page.getByLabel("Name").fill("Checkout API");
  await page.getByLabel("Platform").selectOption("python");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/projects\/checkout-api\/getting-started$/, { waitUntil: "commit" });
  const dsn = await page.getByTestId("dsn").innerText();
  assert.match(dsn, new RegExp(`^http://[0-9a-f]{32}@127\\.0\\.0\\.1:${new URL(stack.ingestUrl).port}/\\d+$`));
  assert.match(await page.getByTestId("snippet").innerText(), /sentry_sdk\.init\(/);
  // The platform tabs move with the arrow keys.
  await page.getByRole("tab", { name: "Python", exact: true }).focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getByRole("tab", { name: "Django" }).getAttribute("aria-selected"), "true");
  const django = await page.getByTestId("snippet").innerText();
  assert.ok(django.includes("integrations=[DjangoIntegration()]") && django.includes(`dsn="${dsn}"`), django);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-project-setup.png"), fullPage: true });

  await page.getByRole("link", { name: "Projects" }).click();
  await page.getByRole("row").filter({ hasText: "Checkout API" }).waitFor();
  // The default project's numbers: the issues of the tests before, and their events today.
  await page
    .getByRole("row")
    .filter({ hasText: "Default" })
    .locator("td.num")
    .filter({ hasText: /^\d+\+?$/ })
    .waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-projects.png"), fullPage: true });

  // Disabling the key: ingest refuses it.
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/projects/checkout-api/settings`);
  // Scrubbing and retention are saved for the digest to apply.
  await page.getByLabel("Also scrub these fields").fill("iban\ntax_id");
  await page.getByLabel("Keep events for (days)").fill("30");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("form", { name: "Project" }).getByRole("status").filter({ hasText: "Saved." }).waitFor();
  const settings = await stack.api("/projects/faultline/checkout-api/settings/");
  assert.deepEqual([settings.sensitiveFields, settings.retentionDays, settings.platform], [["iban", "tax_id"], 30, "python"]);
  await page.getByRole("button", { name: "Disable" }).click();
  await page.getByRole("button", { name: "Enable" }).waitFor();
  const { username: key, pathname } = new URL(dsn);
  const refused = await fetch(`${stack.ingestUrl}/api${pathname}/store/?sentry_key=${key}`, {
    method: "POST",
    body: JSON.stringify({ message: "hi" }),
  });
  assert.equal(refused.status, 403);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-project-settings.png"), fullPage: true });

  // An API token: shown once, works, then revoked.
  await page.getByRole("link", { name: "Settings", exact: true }).click();
  await page.getByRole("heading", { name: "Organization settings" }).waitFor();
  await page.getByLabel("Label").fill("e2e script");
  const creating = page.waitForResponse((res) => res.url().endsWith("/api-tokens/") && res.request().method() === "POST");
  await page.getByRole("button", { name: "Create token" }).click();
  assert.equal((await creating).status(), 201);
  const token = await page.getByRole("status").filter({ hasText: "not shown again" }).locator("code").innerText();
  const withToken = () => fetch(`${stack.dashboardUrl}/api/0/projects/`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await withToken()).status, 200);
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("row").filter({ hasText: "e2e script" }).getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("row").filter({ hasText: "e2e script" }).waitFor({ state: "detached" });
  assert.equal((await withToken()).status, 401);

  // An invite: the link lets a new person set a password and in.
  await page.getByRole("form", { name: "Invite a member" }).getByLabel("Email").fill("new.teammate@example.com");
  await page.getByRole("button", { name: "Invite" }).click();
  const link = await page.getByRole("status").filter({ hasText: "Send this link" }).locator("code").innerText();
  assert.match(link, new RegExp(`^${stack.dashboardUrl}/invite/[A-Za-z0-9_-]{43}$`));
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-organization-settings.png"), fullPage: true });
  const invited = await newPage();
  await invited.page.goto(link);
  await invited.page.getByRole("heading", { name: "Join Faultline" }).waitFor();
  await invited.page.getByLabel("Name").fill("New Teammate");
  await invited.page.getByLabel("Choose a password").fill("teammate password");
  await invited.page.getByLabel("Password again").fill("teammate password");
  await invited.page.getByRole("button", { name: "Join" }).click();
  await invited.page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });
  await invited.page.getByText("New Teammate").waitFor();
  await invited.close();

  // A request ingest refuses for its content is counted for the project (after the answer) and
  // shown on the ingest-problems page with its reason.
  const garbled = await fetch(`${stack.ingestUrl}/api/1/store/?sentry_key=${stack.publicKey}`, {
    method: "POST",
    body: "%%% not an event %%%",
  });
  assert.equal(garbled.status, 400);
  for (let i = 0; (await stack.api("/projects/faultline/default/ingest-refusals/")).length === 0; i++) {
    assert.ok(i < 120, `the refusal was not counted\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/projects/default/ingest-problems`);
  const refusals = page.getByRole("region", { name: "Refused at ingest" });
  const refusal = refusals.getByRole("row").filter({ hasText: "malformed_event" });
  await refusal.getByText("event is neither JSON nor base64").waitFor();
  assert.equal(await refusal.locator("td.num").innerText(), "1");
  await page.getByRole("heading", { name: "Dead letters" }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-ingest-problems.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await close();
});

test("the dark theme follows the system setting", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  await logIn(page);
  await page.getByRole("searchbox", { name: "Search issues" }).fill("SyntaxError");
  await page.getByRole("searchbox", { name: "Search issues" }).press("Enter");
  await page.getByRole("row").filter({ hasText: "SyntaxError" }).getByRole("link").click();
  await page.getByRole("heading", { name: "Breadcrumbs" }).waitFor();
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, "rgb(23, 21, 19)");
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-issue-dark.png") });
  await context.close();
});
