// @sentry/node's performance data (a span stream: span v2 items with a segment span) against a
// local Faultline (the Worker under `wrangler dev`, the dashboard's API under `wrangler pages dev`,
// one shared D1): its transaction shows in Discover with the name the SDK gave it, and an error
// captured inside the traced request shows in that trace, on the span it happened in.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { applyMigrations, freePort, seed, startDashboard, startWorker } from "../../scripts/local-dev.mjs";

const persistTo = mkdtempSync(join(tmpdir(), "faultline-perf-e2e-"));
let worker;
let dashboard;
let apiUrl;
let token;
let dsn;

before(async () => {
  await applyMigrations(persistTo);
  const secrets = await seed(persistTo);
  token = secrets.apiToken;
  const [ingestPort, dashboardPort] = [await freePort(), await freePort()];
  [worker, dashboard] = await Promise.all([
    startWorker({ port: ingestPort, persistTo }),
    startDashboard({ port: dashboardPort, persistTo }),
  ]);
  dsn = `http://${secrets.publicKey}@127.0.0.1:${ingestPort}/1`;
  apiUrl = `http://127.0.0.1:${dashboardPort}/api/0`;
});

after(async () => {
  await Sentry.close(2_000);
  await Promise.all([worker?.stop(), dashboard?.stop()]);
  rmSync(persistTo, { recursive: true, force: true });
});

async function api(path) {
  const res = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}\n${dashboard.output()}`);
  return res.json();
}

async function waitFor(read, done, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 2000)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flatten(nodes) {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}

test("a traced request from @sentry/node shows in Discover, and its error in its trace", { timeout: 120_000 }, async () => {
  Sentry.init({ dsn, release: "shop@3.0.0", environment: "production", tracesSampleRate: 1 });

  // Three requests, each its own trace as a server's are; the last one fails inside its query span.
  let traceId;
  let errorId;
  for (const fail of [false, false, true]) {
    await Sentry.startNewTrace(() =>
      Sentry.startSpan({ name: "GET /checkout", op: "http.server" }, async (request) => {
        await Sentry.startSpan({ name: "SELECT * FROM carts", op: "db.query" }, async () => {
          await sleep(30);
          if (fail) {
            traceId = request.spanContext().traceId;
            errorId = Sentry.captureException(new Error("card declined"));
          }
        });
      }),
    );
  }
  assert.equal(await Sentry.flush(10_000), true);

  const fields = ["transaction", "transaction.op", "project", "count()", "p50()", "p95()", "failure_rate()", "apdex()", "tpm()"];
  const table = await waitFor(
    () =>
      api(
        `/organizations/faultline/events/?dataset=transactions&${fields.map((f) => `field=${encodeURIComponent(f)}`).join("&")}&statsPeriod=1h`,
      ),
    (answer) => answer.data.some((r) => r.transaction === "GET /checkout" && r["count()"] === 3),
    "the SDK's transactions in Discover",
  );
  const row = table.data.find((r) => r.transaction === "GET /checkout");
  assert.equal(row["transaction.op"], "http.server");
  assert.equal(row.project, "default");
  assert.ok(row["p50()"] >= 29 && row["p50()"] < 5_000, `p50 ${row["p50()"]} ms`);
  assert.equal(row["failure_rate()"], 0);
  assert.equal(row["apdex()"], 1);
  assert.equal(table.meta.units["p95()"], "millisecond");

  const trace = await waitFor(
    () => api(`/organizations/faultline/trace/${traceId}/`),
    (roots) => flatten(roots).some((n) => (n.errors ?? []).length > 0),
    "the error in its trace",
  );
  assert.equal(trace.length, 1, JSON.stringify(trace).slice(0, 1000));
  const [root] = trace;
  assert.equal(root.transaction, "GET /checkout");
  assert.equal(root.is_transaction, true);
  const [query] = root.children;
  assert.equal(query.description, "SELECT * FROM carts");
  assert.equal(query.op, "db.query");
  assert.deepEqual(
    query.errors.map((e) => [e.event_id, e.title]),
    [[errorId, "Error: card declined"]],
  );
  assert.match(query.errors[0].issue, /^DEFAULT-/);
});
