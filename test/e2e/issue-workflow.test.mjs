// The issue page's team workflow in Debian's headless Chromium, against a Worker and a Pages dev
// server sharing one local D1: assigning from the picker, the activity trail, and comments that
// stay text whatever markup they carry.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/local-dev.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack, waitForIssue } from "./harness/dashboard-stack.mjs";
import { serveSdkPage } from "./harness/serve-sdk-page.mjs";

const SCREENSHOTS = join(ROOT, "test-results");
// Generous, for a slow machine: how long a page may take to show what the test waits for.
const UI_WAIT_MS = 60_000;

let stack;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startDashboardStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

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

/** An error sent to the store endpoint, as an old SDK would. */
async function sendError(type, value) {
  const res = await fetch(`${stack.ingestUrl}/api/1/store/?sentry_key=${stack.publicKey}&sentry_version=7`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      event_id: randomBytes(16).toString("hex"),
      platform: "javascript",
      level: "error",
      timestamp: Date.now() / 1000,
      exception: {
        values: [{ type, value, stacktrace: { frames: [{ filename: "app/cart.js", function: "total", lineno: 3, in_app: true }] } }],
      },
    }),
  });
  assert.equal(res.status, 200, await res.text());
  return waitForIssue(stack, new RegExp(`^${type}`));
}

test("a member assigns an issue, resolves it and comments; the trail shows each step and markup stays text", async () => {
  // A teammate in the organization, to assign the issue to.
  await stack.query(
    "INSERT INTO users (email, name, password_hash, created_at) VALUES ('dana@example.com', 'Dana Teammate', 'x', 0) ON CONFLICT DO NOTHING",
  );
  await stack.query(
    "INSERT INTO memberships (organization_id, user_id, role) SELECT 1, id, 'member' FROM users WHERE email = 'dana@example.com' ON CONFLICT DO NOTHING",
  );
  const issue = await sendError("CartTotalError", "total is NaN");

  const { page, errors, close } = await newPage();
  await logIn(page);
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/issues/${issue.id}`);
  await page.getByRole("heading", { level: 1, name: issue.title }).waitFor();
  const trail = page.locator("section", { has: page.getByRole("heading", { name: "Activity" }) });
  await trail.getByText("First seen").waitFor();

  // The picker lists the members; choosing one assigns at once.
  const picker = page.getByLabel("Assignee");
  await picker.selectOption({ label: "Dana Teammate (dana@example.com)" });
  await trail.getByText("assigned the issue to Dana Teammate").waitFor();
  assert.equal((await stack.api(`/issues/${issue.id}/`)).assignedTo.email, "dana@example.com");
  await page.getByRole("button", { name: "Assign to me" }).click();
  await trail.getByText("Admin assigned the issue to Admin").waitFor();
  assert.equal((await stack.api(`/issues/${issue.id}/`)).assignedTo.email, stack.login.email);
  await page.getByRole("button", { name: "Assign to me" }).waitFor({ state: "detached" });

  await page.getByRole("button", { name: "Resolve", exact: true }).click();
  await trail.getByText("resolved the issue").waitFor();

  // A comment carrying markup: shown as the characters typed, with `code` and **bold** only.
  const markup = `<script>window.__xss='script'</script><img src=x onerror="window.__xss='img'">`;
  const box = page.getByRole("form", { name: "Add a comment" }).getByRole("textbox");
  await box.fill(`${markup}\nThe cart sums **strings**: \`"1" + 2\``);
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  const note = trail.getByRole("listitem", { name: /^Comment by / });
  await note.getByText("The cart sums").waitFor();
  assert.equal(await box.inputValue(), "");
  assert.ok((await note.innerText()).includes(markup), "the markup is on the page as text");
  assert.equal(await note.locator(".comment-text strong").innerText(), "strings");
  assert.equal(await note.locator(".comment-text code").innerText(), '"1" + 2');
  const found = await page.evaluate(() => ({
    flag: window.__xss ?? null,
    images: document.querySelectorAll("img").length,
    handlers: document.querySelectorAll("[onerror]").length,
    inlineScripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
  }));
  assert.deepEqual(found, { flag: null, images: 0, handlers: 0, inlineScripts: 0 });
  const comments = await stack.api(`/issues/${issue.id}/comments/`);
  assert.equal(comments[0].data.text, `${markup}\nThe cart sums **strings**: \`"1" + 2\``);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-issue-workflow.png"), fullPage: true });

  // Edit it, then delete it.
  await note.getByRole("button", { name: "Edit" }).click();
  await note.getByRole("textbox").fill("Fixed by summing numbers.");
  await note.getByRole("button", { name: "Save" }).click();
  await note.getByText("Fixed by summing numbers.").waitFor();
  page.once("dialog", (dialog) => dialog.accept());
  await note.getByRole("button", { name: "Delete" }).click();
  await note.waitFor({ state: "detached" });
  assert.deepEqual(await stack.api(`/issues/${issue.id}/comments/`), []);

  // The trail as the API answers it, newest first.
  const activity = (await stack.api(`/organizations/faultline/issues/${issue.id}/activities/`)).activity.map((a) => a.type);
  assert.deepEqual(activity, ["set_resolved", "assigned", "assigned", "first_seen"]);
  assert.deepEqual(errors, []);
  await close();
});

test("the stream's Assigned to me shows only the issues assigned to the one looking; Merge folds two issues into one", async () => {
  const mine = await sendError("MineOnlyError", "assigned to the admin");
  const theirs = await sendError("TheirsOnlyError", "assigned to nobody");
  const { page, errors, close } = await newPage();
  await logIn(page);
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/issues/${mine.id}`);
  await page.getByRole("button", { name: "Assign to me" }).click();
  await page.getByRole("button", { name: "Assign to me" }).waitFor({ state: "detached" });

  await page.getByRole("link", { name: "Issues" }).click();
  await page.getByRole("row").filter({ hasText: theirs.title }).waitFor();
  const toggle = page.getByRole("button", { name: "Assigned to me" });
  assert.equal(await toggle.getAttribute("aria-pressed"), "false");
  await toggle.click();
  await page.waitForURL(/query=is%3Aunresolved\+assigned%3Ame/, { waitUntil: "commit" });
  const row = page.getByRole("row").filter({ hasText: mine.title });
  await row.waitFor();
  assert.match(await row.innerText(), /assigned to /);
  await page.getByRole("row").filter({ hasText: theirs.title }).waitFor({ state: "detached" });
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-assigned-to-me.png"), fullPage: true });
  await toggle.click();
  await page.getByRole("row").filter({ hasText: theirs.title }).waitFor();

  // Merge the two: the one seen more often (the newer of equals) takes the other.
  const merge = page.getByRole("button", { name: "Merge" });
  assert.equal(await merge.isDisabled(), true);
  await page.getByRole("checkbox", { name: `Select ${mine.shortId}` }).check();
  await page.getByRole("checkbox", { name: `Select ${theirs.shortId}` }).check();
  page.once("dialog", (dialog) => dialog.accept());
  await merge.click();
  await page.getByRole("row").filter({ hasText: mine.title }).waitFor({ state: "detached" });
  await page.getByRole("row").filter({ hasText: theirs.title }).waitFor();
  const parent = await stack.api(`/issues/${theirs.id}/`);
  assert.equal(parent.count, "2");
  assert.equal(parent.activity[0].type, "merge");
  const gone = await fetch(`${stack.dashboardUrl}/api/0/issues/${mine.id}/`, { headers: { authorization: `Bearer ${stack.apiToken}` } });
  assert.equal(gone.status, 404);
  assert.deepEqual(errors, []);
  await close();
});

test("user feedback: the crash-report dialog and an SDK's feedback with its screenshot, on the Feedback page and the issue's", async () => {
  const errorId = randomBytes(16).toString("hex");
  const stored = await fetch(`${stack.ingestUrl}/api/1/store/?sentry_key=${stack.publicKey}&sentry_version=7`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      event_id: errorId,
      platform: "javascript",
      level: "error",
      exception: { values: [{ type: "CheckoutFrozeError", value: "pay button" }] },
    }),
  });
  assert.equal(stored.status, 200, await stored.text());
  const issue = await waitForIssue(stack, /^CheckoutFrozeError/);

  const { page, errors, close } = await newPage();
  // The dialog of @sentry/browser's Sentry.showReportDialog(), on a page of another origin; the
  // user's name comes prefilled, the comment carries markup.
  const entry = join(SCREENSHOTS, "report-dialog-entry.mjs");
  writeFileSync(
    entry,
    `import * as Sentry from "@sentry/browser";
Sentry.init({ dsn: decodeURIComponent(location.hash.slice(1)) });
window.openDialog = (eventId) => Sentry.showReportDialog({ eventId, user: { name: "Rita Reporter" }, onClose: () => (window.__closed = true) });`,
  );
  const site = await serveSdkPage(entry, "Shop");
  await page.goto(`${site.origin}/#${encodeURIComponent(stack.dsn)}`);
  const screenshot = await page.screenshot();
  await page.evaluate((id) => window.openDialog(id), errorId);
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Email").fill("rita@example.com");
  await dialog.getByLabel("What happened?").fill(`<img src=x onerror="window.__xss=1">I clicked pay twice`);
  assert.equal(await dialog.getByLabel("Name").inputValue(), "Rita Reporter");
  await dialog.getByRole("button", { name: "Submit Crash Report" }).click();
  await page.getByText("Your feedback has been sent. Thank you!").waitFor();
  await page.waitForFunction(() => window.__closed === true);
  await site.close();

  // An SDK's feedback about the same error, with a real PNG as its screenshot.
  const feedbackId = randomBytes(16).toString("hex");
  const feedback = JSON.stringify({
    event_id: feedbackId,
    timestamp: Date.now() / 1000,
    contexts: {
      feedback: {
        message: "The total shows NaN",
        name: "Felix",
        contact_email: "felix@example.com",
        url: "https://shop.example.com/cart",
        associated_event_id: errorId,
      },
    },
  });
  const envelope = Buffer.concat([
    Buffer.from(`{"event_id":"${feedbackId}"}\n{"type":"feedback"}\n${feedback}\n`),
    Buffer.from(`{"type":"attachment","length":${screenshot.length},"filename":"screenshot.png","content_type":"image/png"}\n`),
    screenshot,
    Buffer.from("\n"),
  ]);
  const sent = await fetch(`${stack.ingestUrl}/api/1/envelope/?sentry_key=${stack.publicKey}&sentry_version=7`, {
    method: "POST",
    body: envelope,
  });
  assert.equal(sent.status, 200, await sent.text());
  const deadline = Date.now() + 60_000;
  while ((await stack.api("/projects/faultline/default/user-feedback/")).filter((f) => f.issue?.id === issue.id).length < 2) {
    assert.ok(Date.now() < deadline, `the two feedbacks did not land\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }

  await logIn(page);
  await page.getByRole("link", { name: "Feedback" }).click();
  await page.getByRole("heading", { level: 1, name: "User feedback" }).waitFor();
  const item = page.getByRole("listitem").filter({ hasText: "The total shows NaN" });
  await item.getByRole("link", { name: new RegExp(issue.shortId) }).waitFor();
  const image = item.getByRole("img", { name: /Screenshot/ });
  await image.waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".feedback-screenshots img")].every((img) => img.complete && img.naturalWidth > 0),
  );
  const report = page.getByRole("listitem").filter({ hasText: "Rita Reporter" });
  assert.ok((await report.innerText()).includes(`<img src=x onerror="window.__xss=1">I clicked pay twice`), "the markup is text");
  assert.equal(await page.evaluate(() => window.__xss ?? null), null);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-feedback.png"), fullPage: true });

  await page.goto(`${stack.dashboardUrl}/organizations/faultline/issues/${issue.id}`);
  await page.getByRole("heading", { name: "User feedback (2)" }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-issue-feedback.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await close();
});
