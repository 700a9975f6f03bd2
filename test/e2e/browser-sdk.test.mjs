// The real @sentry/browser SDK in Debian's headless Chromium, on a page served from another origin
// than the Worker, so every send is a cross-origin request the Worker's CORS answer must allow.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./harness/dashboard-stack.mjs";
import { PROJECT_ID, startLocalFaultline, tagsOf, waitForEvents } from "./harness/local-faultline.mjs";
import { serveSdkPage } from "./harness/serve-sdk-page.mjs";

let faultline;
let sdkPage;
let browser;

before(async () => {
  faultline = await startLocalFaultline();
  sdkPage = await serveSdkPage(fileURLToPath(new URL("./harness/browser-page.mjs", import.meta.url)), "Faultline e2e");
});

after(async () => {
  await browser?.close();
  await sdkPage?.close();
  await faultline?.stop();
});

test("events from @sentry/browser in Chromium are recorded, across origins", { timeout: 90_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh (installs Debian's chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));

  // What the browser really sent to the Worker and what it was answered.
  const sending = [];
  page.on("response", (response) => {
    const request = response.request();
    if (!request.url().startsWith(faultline.ingestUrl)) return;
    sending.push(
      Promise.all([request.allHeaders(), response.allHeaders()]).then(([requestHeaders, responseHeaders]) => ({
        method: request.method(),
        url: request.url(),
        requestHeaders,
        status: response.status(),
        responseHeaders,
      })),
    );
  });
  const failed = [];
  page.on("requestfailed", (request) => failed.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));

  await page.goto(`${sdkPage.origin}/`);
  const result = await page.evaluate((dsn) => window.reportToFaultline(dsn), faultline.dsn);
  assert.deepEqual(pageErrors, []);
  assert.equal(result.flushed, true, "the SDK flushed its queue");
  assert.deepEqual(failed, [], "no request was blocked (CORS) or failed");

  const sdkIds = [result.exceptionId, result.messageId];
  const rows = await waitForEvents(faultline, sdkIds);
  const eventRows = rows;
  assert.deepEqual(eventRows.map((r) => r.event_id).sort(), [...sdkIds].sort(), "exactly one event row per event the SDK sent");
  for (const row of eventRows) assert.equal(row.project_id, PROJECT_ID);

  const sends = await Promise.all(sending);
  const posts = sends.filter((s) => s.method === "POST");
  assert.ok(posts.length >= sdkIds.length, `the SDK made ${posts.length} sends`);
  for (const s of posts) {
    assert.match(new URL(s.url).pathname, new RegExp(`^/api/${PROJECT_ID}/envelope/$`));
    assert.equal(s.status, 200);
    assert.equal(s.requestHeaders.origin, sdkPage.origin);
    // text/plain keeps the POST a "simple" request: no preflight before each send.
    assert.match(s.requestHeaders["content-type"] ?? "", /^text\/plain/);
    assert.equal(s.responseHeaders["access-control-allow-origin"], sdkPage.origin);
  }

  const byId = new Map(eventRows.map((r) => [r.event_id, r]));
  const exception = byId.get(result.exceptionId).event;
  assert.equal(exception.exception.values.at(-1).type, "SyntaxError");
  assert.equal(exception.release, "faultline-e2e-browser@1.0.0");
  assert.equal(tagsOf(exception).suite, "browser-sdk");
  assert.equal(exception.request.url, `${sdkPage.origin}/`);
  assert.equal(byId.get(result.messageId).event.logentry.formatted, "browser page finished loading");
});
