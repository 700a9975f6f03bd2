// The real @sentry/node SDK against the ingest Worker under `wrangler dev`: what it sends must end
// up as events, once per event, and a wrong key must store nothing.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "../../scripts/local-dev.mjs";
import { PROJECT_ID, startLocalFaultline, tagsOf, waitForEvents } from "./harness/local-faultline.mjs";

const run = promisify(execFile);

// The Node SDK's transport gzips envelopes over this size (its GZIP_THRESHOLD).
const GZIP_THRESHOLD = 32 * 1024;

let faultline;
/** Every HTTP request the SDK made to the Worker, with what it sent and what it got back. */
const requests = [];

before(async () => {
  faultline = await startLocalFaultline();
  const { host } = new URL(faultline.ingestUrl);
  // The transport uses node:http, whose diagnostics channels let us see the request it really made
  // (its Content-Encoding) and the status it got, without a proxy in between.
  diagnostics.subscribe("http.client.request.start", ({ request }) => {
    if (request.getHeader("host") !== host) return;
    requests.push({ request, path: request.path, contentEncoding: request.getHeader("content-encoding") ?? null, status: null });
  });
  diagnostics.subscribe("http.client.response.finish", ({ request, response }) => {
    const seen = requests.find((r) => r.request === request);
    if (seen) seen.status = response.statusCode;
  });
});

after(async () => {
  await Sentry.close(2_000);
  await faultline?.stop();
});

test("events from @sentry/node are recorded once each, the large one sent gzip'd", { timeout: 90_000 }, async () => {
  // A client with a key the project does not have: Sentry's answer for that is 401, and nothing is kept.
  const wrongKey = randomBytes(16).toString("hex");
  const stranger = new Sentry.NodeClient({
    dsn: `http://${wrongKey}@127.0.0.1:${new URL(faultline.ingestUrl).port}/${PROJECT_ID}`,
    transport: Sentry.makeNodeTransport,
    stackParser: Sentry.defaultStackParser,
    integrations: [],
  });
  stranger.init();
  const strangerScope = new Sentry.Scope();
  strangerScope.setClient(stranger);
  const strangerEventId = strangerScope.captureException(new Error("sent with an unknown key"));
  assert.equal(await stranger.flush(10_000), true);
  await stranger.close();

  Sentry.init({ dsn: faultline.dsn, release: "faultline-e2e@1.2.3", environment: "e2e" });
  Sentry.setUser({ id: "user-42", email: "user42@example.com" });
  Sentry.setTag("suite", "node-sdk");

  const withCause = new Error("could not load the invoice", { cause: new TypeError("invoice.total is undefined") });
  const exceptionId = Sentry.captureException(withCause);
  const messageId = Sentry.captureMessage("checkout finished with a warning", "warning");
  // Random content over the threshold: any loss in decoding the gzip'd body would show.
  const payload = Array.from({ length: 40 }, () => randomBytes(512).toString("hex"));
  const largeId = Sentry.captureMessage("an event larger than the gzip threshold", { level: "info", extra: { payload } });
  assert.equal(await Sentry.flush(10_000), true, "the SDK flushed its queue");

  const sdkIds = [exceptionId, messageId, largeId];
  const rows = await waitForEvents(faultline, sdkIds);
  const eventRows = rows;
  assert.deepEqual(eventRows.map((r) => r.event_id).sort(), [...sdkIds].sort(), "exactly one event row per event the SDK sent");
  for (const row of eventRows) assert.equal(row.project_id, PROJECT_ID);
  assert.ok(!rows.some((r) => r.event_id === strangerEventId), "nothing stored for the unknown key");

  // What the SDK really did on the wire.
  const strangerRequests = requests.filter((r) => r.path.includes(`sentry_key=${wrongKey}`));
  assert.ok(strangerRequests.length > 0, "the unknown-key client did send");
  for (const r of strangerRequests) assert.equal(r.status, 401);
  const accepted = requests.filter((r) => r.path.includes(`sentry_key=${faultline.publicKey}`));
  // Three events, plus a release-health session envelope the SDK sends on its own.
  assert.ok(accepted.length >= sdkIds.length, `the SDK made ${accepted.length} requests`);
  for (const r of accepted) {
    assert.match(r.path, new RegExp(`^/api/${PROJECT_ID}/envelope/\\?sentry_version=7&sentry_key=`));
    assert.equal(r.status, 200);
  }
  assert.deepEqual(accepted.map((r) => r.contentEncoding).filter(Boolean), ["gzip"], "only the large envelope was compressed");

  const byId = new Map(eventRows.map((r) => [r.event_id, r]));

  const large = byId.get(largeId);
  assert.ok(large.size > GZIP_THRESHOLD, `the large event is stored whole (${large.size} bytes)`);
  assert.deepEqual(large.event.extra.payload, payload, "the gzip'd event arrived intact");

  const exceptionRow = byId.get(exceptionId);
  assert.equal(exceptionRow.issue_title, "Error: could not load the invoice", "the issue is titled by the outermost error");
  const exception = exceptionRow.event;
  // Linked errors: the cause comes first, the thrown error last.
  assert.deepEqual(
    exception.exception.values.map((v) => [v.type, v.value]),
    [
      ["TypeError", "invoice.total is undefined"],
      ["Error", "could not load the invoice"],
    ],
  );
  assert.equal(exception.release, "faultline-e2e@1.2.3");
  assert.equal(exception.environment, "e2e");
  assert.equal(exception.user.id, "user-42");
  assert.equal(tagsOf(exception).suite, "node-sdk");

  const message = byId.get(messageId).event;
  assert.equal(message.logentry.formatted, "checkout finished with a warning");
  assert.equal(message.level, "warning");
});

test("a process's session ended by an unhandled rejection counts once, crashed, in its release's health", { timeout: 60_000 }, async () => {
  // A process of its own: the SDK's process session is one per process.
  const release = "faultline-e2e-crash@1.0.0";
  const script = `
    import * as Sentry from "@sentry/node";
    Sentry.init({ dsn: process.env.FAULTLINE_DSN, release: ${JSON.stringify(release)}, environment: "e2e" });
    Promise.reject(new Error("an unhandled rejection"));
    setTimeout(() => Sentry.flush(10_000), 100);
  `;
  await run(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, env: { ...process.env, FAULTLINE_DSN: faultline.dsn } });
  const query = `SELECT sessions, errored, abnormal, crashed FROM session_rollups WHERE project_id = ${PROJECT_ID} AND release = '${release}'`;
  for (const deadline = Date.now() + 30_000; ;) {
    const rows = await faultline.query(query);
    if (rows[0]?.crashed === 1) {
      assert.deepEqual(rows, [{ sessions: 1, errored: 0, abnormal: 0, crashed: 1 }]);
      break;
    }
    assert.ok(Date.now() < deadline, `no crashed session within 30 s: ${JSON.stringify(rows)}\n${faultline.workerOutput()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

test("an unknown key is answered 401 with a reason", { timeout: 30_000 }, async () => {
  const envelope = `{"event_id":"${"b".repeat(32)}"}\n{"type":"event"}\n{"message":"hello"}\n`;
  const res = await fetch(`${faultline.ingestUrl}/api/${PROJECT_ID}/envelope/?sentry_key=${"0".repeat(32)}`, {
    method: "POST",
    body: envelope,
  });
  assert.equal(res.status, 401);
  assert.equal(typeof (await res.json()).detail, "string");
});
