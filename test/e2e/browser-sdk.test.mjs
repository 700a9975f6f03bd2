// The real @sentry/browser SDK in Debian's headless Chromium, on a page served from another origin
// than the Worker, so every send is a cross-origin request the Worker's CORS answer must allow.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { freePort } from "../../scripts/local-dev.mjs";
import { PROJECT_ID, startLocalFaultline, tagsOf, waitForEvents } from "./local-faultline.mjs";

const CHROMIUM = "/usr/bin/chromium";
// Headless in a container: no sandbox (no user namespaces), no GPU, and nothing that phones home.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

let faultline;
let pageServer;
let pageOrigin;
let browser;

/** Serves the test page and its bundled script on a loopback origin of its own. */
async function startPageServer() {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./browser-page.mjs", import.meta.url))],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0].contents;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Faultline e2e</title><script src="/page.js"></script></head><body>e2e</body></html>`;
  const server = createServer((req, res) => {
    if (req.url === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (req.url === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  return { server, origin: `http://127.0.0.1:${port}` };
}

before(async () => {
  faultline = await startLocalFaultline();
  ({ server: pageServer, origin: pageOrigin } = await startPageServer());
});

after(async () => {
  await browser?.close();
  await new Promise((done) => (pageServer ? pageServer.close(done) : done()));
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

  await page.goto(`${pageOrigin}/`);
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
    assert.equal(s.requestHeaders.origin, pageOrigin);
    // text/plain keeps the POST a "simple" request: no preflight before each send.
    assert.match(s.requestHeaders["content-type"] ?? "", /^text\/plain/);
    assert.equal(s.responseHeaders["access-control-allow-origin"], pageOrigin);
  }

  const byId = new Map(eventRows.map((r) => [r.event_id, r]));
  const exception = byId.get(result.exceptionId).event;
  assert.equal(exception.exception.values.at(-1).type, "SyntaxError");
  assert.equal(exception.release, "faultline-e2e-browser@1.0.0");
  assert.equal(tagsOf(exception).suite, "browser-sdk");
  assert.equal(exception.request.url, `${pageOrigin}/`);
  assert.equal(byId.get(result.messageId).event.logentry.formatted, "browser page finished loading");
});
