// Push alerts end to end in Debian's headless Chromium: a member's browsers are subscribed for
// push alerts with their session (Chromium has no push service to subscribe to here, so the
// subscriptions point at a local stand-in that checks VAPID and decrypts like a real one), a
// rule with a push target is made in the alerts form, an error from @sentry/node fires it, and
// each browser gets the notification; the one whose push service answers 410 is removed. Then
// the member turns assignment emails off in their notification settings.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/local-dev.mjs";
import { startPushService } from "../support/push-service.mjs";
import { CHROMIUM, CHROMIUM_ARGS, startDashboardStack } from "./harness/dashboard-stack.mjs";

const SCREENSHOTS = join(ROOT, "test-results");

let stack;
let pushService;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, pushService] = await Promise.all([startDashboardStack(), startPushService()]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await Sentry.close(2_000);
  await browser?.close();
  await Promise.all([stack?.stop(), pushService?.close()]);
});

test("a push target notifies each of the member's browsers, and a gone one is removed", { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));

  await page.goto(`${stack.dashboardUrl}/login`);
  await page.getByLabel("Email").fill(stack.login.email);
  await page.getByLabel("Password").fill(stack.login.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/projects/default/alerts`);
  await page.getByRole("button", { name: "Enable browser notifications" }).waitFor();

  // What "Enable browser notifications" posts after PushManager.subscribe(): the subscription's JSON.
  const subscribe = (subscription) =>
    page.evaluate(async (body) => {
      const res = await fetch("/api/0/users/me/push-subscriptions/", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    }, subscription);
  const laptop = await subscribe(pushService.subscribe("laptop"));
  const phone = await subscribe(pushService.subscribe("phone", 410));
  assert.deepEqual([laptop.status, phone.status], [201, 201], JSON.stringify([laptop, phone]));

  await page.getByRole("button", { name: "New rule" }).click();
  const form = page.getByRole("form", { name: "New rule" });
  await form.getByLabel("Name").fill("New errors to my browsers");
  await form.getByLabel("Target 1: type").selectOption("push");
  await form.getByLabel("Target 1: member's email").fill(stack.login.email);
  await form.getByRole("button", { name: "Create rule" }).click();
  await page.getByText(`browser push to ${stack.login.email}`).waitFor();

  Sentry.init({ dsn: stack.dsn, release: "push-e2e@1.0.0" });
  const message = `the card processor is unreachable (${Date.now().toString(36)})`;
  Sentry.captureException(new Error(message));
  assert.equal(await Sentry.flush(10_000), true);

  const [pushed] = await pushService.waitFor("laptop", 1);
  assert.match(pushed.payload.title, new RegExp(`^DEFAULT-\\w+: Error: ${message.replace(/[()]/g, "\\$&")}`));
  // DASHBOARD_URL (wrangler.toml's, the default local port) is where links point.
  assert.match(pushed.payload.url, /^http:\/\/127\.0\.0\.1:8788\/issues\/\d+\/$/);
  assert.match(pushed.payload.body, /new issue/i);
  assert.match(pushed.vapid.claims.sub, /^mailto:/);
  await pushService.waitFor("phone", 1);
  assert.deepEqual(pushService.refused, []);

  // The phone's push service said 410 Gone: its subscription is removed, the laptop's kept.
  let listed;
  for (let i = 0; i < 50; i++) {
    listed = await stack.query("SELECT endpoint FROM push_subscriptions ORDER BY id");
    if (listed.length === 1) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(
    listed.map((r) => r.endpoint),
    [laptop.body.endpoint],
  );
  const [delivery] = await stack.query("SELECT status, attempts, last_error FROM alert_deliveries WHERE target_type = 'push'");
  assert.equal(delivery.status, "sent");
  assert.match(delivery.last_error, /HTTP 410.*removed/);

  await page.getByRole("button", { name: "Refresh" }).click();
  await page
    .getByText(/HTTP 410/)
    .first()
    .waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-alert-push-target.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test("a member turns assignment emails off in their notification settings", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${stack.dashboardUrl}/login`);
  await page.getByLabel("Email").fill(stack.login.email);
  await page.getByLabel("Password").fill(stack.login.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/organizations\/faultline\/issues/, { waitUntil: "commit" });
  await page.goto(`${stack.dashboardUrl}/organizations/faultline/settings`);
  const box = page.getByLabel("Email me when someone assigns an issue to me");
  await box.waitFor();
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  for (let i = 0; i < 50 && (await stack.query("SELECT assignment_emails FROM users"))[0].assignment_emails !== 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await stack.query("SELECT assignment_emails FROM users"), [{ assignment_emails: 0 }]);
  await page.reload();
  await page.getByRole("button", { name: "Enable browser notifications" }).waitFor();
  assert.equal(await page.getByLabel("Email me when someone assigns an issue to me").isChecked(), false);
  await page.getByRole("heading", { name: "Your notifications" }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard-my-notifications.png"), fullPage: true });
  await context.close();
});
