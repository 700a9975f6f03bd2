// Debian's python3-sentry-sdk 1.9 with Django (python3-django), tracing requests against a local
// Faultline (the Worker under `wrangler dev`, the dashboard's API under `wrangler pages dev`, one
// shared D1): its transaction items show in Discover with the route names Django gave them, the
// error raised inside /sentry-debug/ shows in that request's trace, and its request-mode session
// aggregate shows in the release's health.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { apiStack } from "./harness/api-stack.mjs";

const run = promisify(execFile);
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./harness/send-django-requests.py", import.meta.url));
const stack = apiStack("faultline-django-e2e-");
const { api, waitFor } = stack;

before(async () => {
  try {
    await run(PYTHON, ["-I", "-c", "import sentry_sdk, django"]);
  } catch (err) {
    assert.fail(`${PYTHON} cannot import sentry_sdk and django (${err.message.trim()}): install python3-sentry-sdk and python3-django`);
  }
  await stack.start();
});

after(async () => {
  await stack.stop();
});

const flatten = (nodes) => nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);

test("Django's transactions from python3-sentry-sdk show in Discover, and its error in its trace", { timeout: 120_000 }, async () => {
  const { stdout } = await run(PYTHON, ["-I", SCRIPT, stack.dsn], { timeout: 60_000 });
  const traceId = stdout.trim();
  assert.match(traceId, /^[0-9a-f]{32}$/, `the script printed a trace id, got ${JSON.stringify(stdout)}`);

  const fields = ["transaction", "transaction.op", "count()", "failure_rate()", "p50()"];
  const table = await waitFor(
    () =>
      api(
        `/organizations/faultline/events/?dataset=transactions&${fields.map((f) => `field=${encodeURIComponent(f)}`).join("&")}&sort=transaction&statsPeriod=1h`,
      ),
    (answer) => answer.data.reduce((n, r) => n + r["count()"], 0) === 3,
    "Django's three transactions in Discover",
  );
  assert.deepEqual(
    table.data.map((r) => [r.transaction, r["transaction.op"], r["count()"], r["failure_rate()"]]),
    [
      ["/orders/", "http.server", 2, 0],
      ["/sentry-debug/", "http.server", 1, 1],
    ],
  );

  const trace = await waitFor(
    () => api(`/organizations/faultline/trace/${traceId}/`),
    (roots) => flatten(roots).some((n) => (n.errors ?? []).length > 0),
    "the error in its trace",
  );
  const [root] = trace.filter((n) => n.event_type === "transaction");
  assert.equal(root.transaction, "/sentry-debug/");
  assert.equal(root.status, "internal_error");
  const view = root.children.find((c) => c.op === "django.view");
  // The two queries under the view (Django opened its connection in the first request).
  assert.deepEqual(
    view.children.map((c) => c.description).filter((d) => d !== "connect"),
    ["SELECT 1", "SELECT %s + %s"],
  );
  const errors = flatten(trace).flatMap((n) => n.errors ?? []);
  assert.deepEqual(
    errors.map((e) => e.title),
    ["ZeroDivisionError: division by zero"],
  );

  // Request-mode release health: the SDK's `sessions` aggregate of the three requests, the one
  // that raised counted as crashed.
  const release = await waitFor(
    () => api("/organizations/faultline/releases/shop%402.0.0/?health=1"),
    (answer) => answer.projects?.[0]?.hasHealthData === true,
    "the request sessions in the release's health",
  );
  const health = release.projects[0].healthData;
  assert.deepEqual([health.totalSessions, health.sessionsCrashed, health.sessionsErrored], [3, 1, 0], JSON.stringify(health));
  assert.equal(Math.round(health.crashFreeSessions * 100) / 100, 66.67);
});
