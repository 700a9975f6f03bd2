// @sentry/node's performance data (a span stream: span v2 items with a segment span) against a
// local Faultline (the Worker under `wrangler dev`, the dashboard's API under `wrangler pages dev`,
// one shared D1): its transaction shows in Discover with the name the SDK gave it, and an error
// captured inside the traced request shows in that trace, on the span it happened in.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { apiStack } from "./harness/api-stack.mjs";

const stack = apiStack("faultline-perf-e2e-");
const { api, waitFor } = stack;

before(async () => {
  await stack.start();
});

after(async () => {
  await Sentry.close(2_000);
  await stack.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flatten(nodes) {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}

test("a traced request from @sentry/node shows in Discover, and its error in its trace", { timeout: 120_000 }, async () => {
  Sentry.init({ dsn: stack.dsn, release: "shop@3.0.0", environment: "production", tracesSampleRate: 1 });

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
