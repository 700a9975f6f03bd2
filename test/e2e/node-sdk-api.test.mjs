// @sentry/node errors captured against a local Faultline (the Worker under `wrangler dev`, the
// dashboard's API under `wrangler pages dev`, one shared D1) come back through the Sentry-style
// Web API with the title, culprit, in-app frames and their context lines, release, environment,
// user and tags the SDK sent; so does the user feedback sent about them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createEnvelope } from "@sentry/core";
import * as Sentry from "@sentry/node";
import { apiStack } from "./harness/api-stack.mjs";

const stack = apiStack("faultline-api-e2e-");
const { api, waitFor } = stack;

before(async () => {
  await stack.start();
});

after(async () => {
  await Sentry.close(2_000);
  await stack.stop();
});

// Named so its frames are in-app and its function shows as the culprit.
function chargeCustomer(order) {
  return order.customer.id;
}

test("errors from @sentry/node are readable through the API, grouped, with their frames and context", { timeout: 120_000 }, async () => {
  Sentry.init({ dsn: stack.dsn, release: "shop@2.4.0", environment: "staging" });
  Sentry.setUser({ id: "customer-7", email: "c7@example.com" });
  Sentry.setTag("checkout_step", "payment");

  // Two failures with different values (the SDK drops an exact repeat): one issue for both.
  const ids = [];
  for (const order of [{}, { customer: null }]) {
    try {
      chargeCustomer(order);
    } catch (err) {
      ids.push(Sentry.captureException(err));
    }
  }
  assert.equal(await Sentry.flush(10_000), true);

  const issues = await waitFor(
    () => api("/projects/faultline/default/issues/?query=is:unresolved"),
    (list) => list.some((i) => Number(i.count) === 2),
    "the issue with both events",
  );
  assert.equal(issues.length, 1, "the same error twice is one issue");
  const [issue] = issues;
  assert.match(issue.title, /^TypeError: Cannot read properties of (undefined|null) \(reading 'id'\)/);
  assert.equal(issue.culprit, "node-sdk-api.test in chargeCustomer");
  assert.equal(issue.level, "error");
  assert.equal(issue.userCount, 1);

  const filtered = await api(
    `/projects/faultline/default/issues/?query=${encodeURIComponent("environment:staging release:shop@2.4.0 chargeCustomer")}`,
  );
  assert.deepEqual(
    filtered.map((i) => i.id),
    [issue.id],
  );
  assert.deepEqual(await api("/projects/faultline/default/issues/?query=environment:production"), []);

  const latest = await api(`/issues/${issue.id}/events/latest/`);
  assert.ok(ids.includes(latest.eventID), "the latest event is one the SDK sent");
  assert.equal(latest.release?.version ?? latest.release, "shop@2.4.0");
  assert.equal(latest.environment ?? Object.fromEntries(latest.tags.map((t) => [t.key, t.value])).environment, "staging");
  assert.equal(latest.user.id, "customer-7");
  const tags = Object.fromEntries(latest.tags.map((t) => [t.key, t.value]));
  assert.equal(tags.checkout_step, "payment");
  assert.equal(tags.environment, "staging");

  const exception = latest.entries.find((e) => e.type === "exception");
  const frames = exception.data.values.at(-1).stacktrace.frames;
  const top = frames.at(-1);
  assert.equal(top.function, "chargeCustomer");
  assert.equal(top.inApp, true);
  assert.equal(
    top.context.find(([, line]) => line.includes("return order.customer.id"))?.[0],
    top.lineNo,
    "the context line is the failing line",
  );

  const events = await api(`/issues/${issue.id}/events/`);
  assert.deepEqual(events.map((e) => e.eventID).sort(), [...ids].sort());
});

// Locally the Worker and the dashboard are two workerd processes on one SQLite file: a read that
// lands while the consumer commits must still answer (D1 retries such reads; so do we).
test("the API keeps answering while the consumer writes", { timeout: 120_000 }, async () => {
  let sending = true;
  const statuses = new Map();
  const poll = (async () => {
    while (sending) {
      const res = await fetch(`${stack.apiUrl}/projects/faultline/default/issues/?query=is:unresolved`, {
        headers: { authorization: `Bearer ${stack.token}` },
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      await res.arrayBuffer();
    }
  })();
  for (let i = 0; i < 60; i++) {
    Sentry.captureException(new Error(`distinct failure ${i}`), { fingerprint: [`contention-${i}`] });
    await new Promise((r) => setTimeout(r, 40));
  }
  assert.equal(await Sentry.flush(10_000), true);
  await waitFor(
    () => api("/projects/faultline/default/issues/?query=distinct&limit=100"),
    (list) => list.length === 60,
    "sixty issues",
  );
  sending = false;
  await poll;
  assert.deepEqual(
    [...statuses.keys()],
    [200],
    `answers while writing: ${JSON.stringify(Object.fromEntries(statuses))}\n${stack.dashboard.output()}`,
  );
});

// User feedback (https://develop.sentry.dev/sdk/data-model/envelope-items/#user-feedback): the
// SDK's captureFeedback about an error, a legacy user_report item, and Sentry's POST, read back.
test("feedback from @sentry/node and a user report come back through the API, tied to their issue", { timeout: 120_000 }, async () => {
  Sentry.init({ dsn: stack.dsn, release: "shop@2.4.0", environment: "staging" });
  const errorId = Sentry.captureException(new Error("payment form froze"));
  const feedbackId = Sentry.captureFeedback(
    {
      message: "The <b>pay</b> button did nothing",
      name: "Jane",
      email: "jane@example.com",
      url: "https://shop.example.com/pay",
      associatedEventId: errorId,
    },
    {
      attachments: [
        { filename: "screenshot.png", data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), contentType: "image/png" },
      ],
    },
  );
  // The deprecated user_report item, as older SDKs send it, about the same error.
  const reportAbout = Sentry.captureException(new Error("receipt never arrived"));
  Sentry.getClient().sendEnvelope(
    createEnvelope({ event_id: reportAbout }, [
      [{ type: "user_report" }, { event_id: reportAbout, name: "Ann", email: "ann@example.com", comments: "No receipt" }],
    ]),
  );
  assert.equal(await Sentry.flush(10_000), true);

  const tied = (list) => list.length === 2 && list.every((f) => f.issue !== null);
  const feedback = await waitFor(() => api("/projects/faultline/default/user-feedback/"), tied, "both feedbacks tied to their issues");
  const byName = Object.fromEntries(feedback.map((f) => [f.name, f]));
  assert.equal(byName.Jane.eventID, errorId);
  assert.equal(byName.Jane.feedbackID, feedbackId);
  assert.equal(byName.Jane.comments, "The <b>pay</b> button did nothing");
  assert.equal(byName.Jane.email, "jane@example.com");
  assert.equal(byName.Jane.url, "https://shop.example.com/pay");
  assert.match(byName.Jane.issue.title, /payment form froze/);
  assert.equal(byName.Jane.attachments.length, 1);
  assert.equal(byName.Ann.eventID, reportAbout);
  assert.equal(byName.Ann.comments, "No receipt");
  assert.match(byName.Ann.issue.title, /receipt never arrived/);

  const reports = await api(`/organizations/faultline/issues/${byName.Jane.issue.id}/user-reports/`);
  assert.deepEqual(
    reports.map((r) => r.name),
    ["Jane"],
  );
  const screenshot = await fetch(
    `${stack.apiUrl}/projects/faultline/default/events/${feedbackId}/attachments/${byName.Jane.attachments[0]}/`,
    {
      headers: { authorization: `Bearer ${stack.token}` },
    },
  );
  assert.equal(screenshot.headers.get("content-type"), "image/png");

  // Sentry's POST: a report about an event, then the list has it too.
  const posted = await fetch(`${stack.apiUrl}/projects/faultline/default/user-feedback/`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
    body: JSON.stringify({ event_id: errorId, name: "Sam", email: "sam@example.com", comments: "Same here" }),
  });
  assert.equal(posted.status, 200, await posted.clone().text());
  assert.equal((await posted.json()).issue.id, byName.Jane.issue.id);
});
