// The dashboard's alerts page in Debian's headless Chromium: a person makes a rule with the form
// (a refused field is named), sends its webhook a test notification, an error from @sentry/node
// fires it, and the delivery log shows the webhook it sent.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/local-dev.mjs";
import { startAlertReceiver } from "./harness/alert-receiver.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack } from "./harness/dashboard-stack.mjs";

const SCREENSHOTS = join(ROOT, "test-results");
const UI_WAIT_MS = 60_000;

let stack;
let receiver;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, receiver] = await Promise.all([startDashboardStack(), startAlertReceiver()]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await Sentry.close(2_000);
  await browser?.close();
  await Promise.all([stack?.stop(), receiver?.close()]);
});

test("a rule made in the form fires on the next new error, and the delivery log shows it", { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));

  await page.goto(`${stack.dashboardUrl}/login`);
  await page.getByLabel("Email").fill(stack.login.email);
  await page.getByLabel("Password").fill(stack.login.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });

  // From the project's settings to its alerts.
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/projects/default/settings`);
  await page.getByRole("link", { name: "Alerts" }).click();
  await page.waitForURL(/\/projects\/default\/alerts$/, { waitUntil: "commit" });
  await page.getByText("No rules yet").waitFor();

  await page.getByRole("button", { name: "New rule" }).click();
  const form = page.getByRole("form", { name: "New rule" });
  await form.getByLabel("Name").fill("New errors to the webhook");
  await form.getByLabel("A resolved issue comes back (regression)").uncheck();
  await form.getByLabel("Level at least").selectOption("error");
  await form.getByLabel("Target 1: type").selectOption("webhook");
  await form.getByLabel("Target 1: URL").fill(receiver.url("ok", "dashboard"));
  // A duration the API does not read: it says which field, and nothing is saved.
  await form.getByLabel("Age: duration").fill("a week");
  await form.getByRole("button", { name: "Create rule" }).click();
  await form.getByRole("alert").filter({ hasText: "filters.1.newer_than: expected a duration like 30m, 12h, 7d or 2w" }).waitFor();
  await form.getByLabel("The issue is").uncheck();
  await form.getByRole("button", { name: "Create rule" }).click();

  const rule = page.getByRole("article", { name: "Rule New errors to the webhook" });
  await rule.waitFor();
  assert.match(
    await rule.innerText(),
    /When\s+any of: a new issue is created\s+If\s+level is error or worse\s+Then\s+webhook, at most every 30 min per issue/,
  );
  const [stored] = await stack.api("/projects/faultline/default/alert-rules/");
  assert.match(await rule.innerText(), new RegExp(stored.targets[0].secret), "the webhook's signing secret is shown");
  receiver.setSecret(stored.targets[0].secret);

  // "Send test" on the saved rule's webhook: a signed sample arrives now, and the form says so.
  await rule.getByRole("button", { name: "Edit" }).click();
  const editForm = page.getByRole("form", { name: "Edit rule New errors to the webhook" });
  await editForm.getByRole("button", { name: "Target 1: send test notification" }).click();
  const answer = editForm.getByRole("status").filter({ hasText: /^Test sent: 200 in \d+ ms$/ });
  await answer.waitFor();
  // No issue yet: the sample links to the project's alerts page.
  const [test] = await receiver.waitFor((r) => JSON.parse(r.body).data.event.web_url.endsWith("/projects/default/alerts"), 1, 10_000);
  assert.equal(test.signatureValid, true);
  assert.equal(JSON.parse(test.body).data.triggered_rule, "New errors to the webhook");
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-alert-test-notification.png"), fullPage: true });
  await editForm.getByRole("button", { name: "Cancel" }).click();

  // A metric rule on transactions: turning its trigger on turns the issue triggers off.
  await page.getByRole("button", { name: "New rule" }).click();
  const metricForm = page.getByRole("form", { name: "New rule" });
  await metricForm.getByLabel("Name").fill("Slow checkout");
  await metricForm.getByLabel("Transactions' duration").check();
  await metricForm.getByLabel("duration: transaction").fill("GET /checkout");
  await metricForm.getByLabel("duration: above").fill("800");
  await metricForm.getByLabel("Target 1: URL").fill("https://hooks.slack.com/services/T0/B0/x");
  assert.equal(await metricForm.getByLabel("A new issue is created").isChecked(), false);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-alert-metric-rule-form.png"), fullPage: true });
  await metricForm.getByRole("button", { name: "Create rule" }).click();
  const metricRule = page.getByRole("article", { name: "Rule Slow checkout" });
  await metricRule.waitFor();
  assert.match(await metricRule.innerText(), /When\s+any of: p95 of GET \/checkout is above 800 ms in 5 minutes/);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-alert-rules.png"), fullPage: true });

  // An error from the real SDK: a new issue, so the rule fires.
  Sentry.init({ dsn: stack.dsn, environment: "production" });
  const eventId = Sentry.captureException(new Error("the alerts page test's error"));
  assert.equal(await Sentry.flush(10_000), true);
  const [arrival] = await receiver.waitFor((r) => r.body.includes(eventId), 1, 60_000);
  assert.equal(arrival.signatureValid, true);

  const log = page.locator("section", { has: page.getByRole("heading", { name: "Delivery log" }) });
  const sentRow = log.getByRole("row").filter({ hasText: "New errors to the webhook" }).filter({ hasText: "sent" });
  for (let i = 0; (await sentRow.count()) === 0; i++) {
    assert.ok(i < 60, "the delivery log shows the sent webhook");
    await log.getByRole("button", { name: "Refresh" }).click();
    await page.waitForTimeout(500);
  }
  assert.match(await sentRow.innerText(), /webhook\s+sent\s+1\. 200 in \d+ ms/);
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-alert-deliveries.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
