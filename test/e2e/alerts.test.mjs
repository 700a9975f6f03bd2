// Alerts end to end: @sentry/node sends an error to the Worker under `wrangler dev`; the digest
// finds a new issue, the rule fires, and the alerts consumer reaches a Slack stand-in (rate
// limited once, so the real queue's retry runs) and a Sentry-compatible webhook receiver.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import * as Sentry from "@sentry/node";
import { startAlertReceiver } from "./harness/alert-receiver.mjs";
import { PROJECT_ID, startLocalFaultline, waitForEvents } from "./harness/local-faultline.mjs";

const secret = randomBytes(32).toString("hex");
let faultline;
let receiver;

before(async () => {
  [faultline, receiver] = await Promise.all([startLocalFaultline(), startAlertReceiver({ secret })]);
  const now = Date.now();
  const sql = (s) => `'${String(s).replaceAll("'", "''")}'`;
  await faultline.query(`
    INSERT INTO alert_rules (id, project_id, name, match, triggers, filters, frequency_minutes, created_at, updated_at)
      VALUES (1, ${PROJECT_ID}, 'New errors in e2e', 'any', '[{"type":"new_issue"}]', '[{"type":"environment","value":"e2e"}]', 30, ${now}, ${now});
    INSERT INTO alert_targets (rule_id, type, url, secret, created_at) VALUES
      (1, 'slack', ${sql(receiver.url("ratelimited", "slack"))}, NULL, ${now}),
      (1, 'webhook', ${sql(receiver.url("ok", "webhook"))}, ${sql(secret)}, ${now});
  `);
});

after(async () => {
  await Sentry.close(2_000);
  await Promise.all([faultline?.stop(), receiver?.close()]);
});

test("a new error reaches Slack and a signed webhook once, through a rate limit", { timeout: 120_000 }, async () => {
  Sentry.init({ dsn: faultline.dsn, release: "faultline-e2e@2.0.0", environment: "e2e" });
  const eventId = Sentry.captureException(new Error(`the payment provider timed out (${randomBytes(4).toString("hex")})`));
  assert.equal(await Sentry.flush(10_000), true);

  const [webhook] = await receiver.waitFor((r) => r.name === "webhook", 1, 60_000);
  assert.equal(webhook.signatureValid, true, "Sentry-Hook-Signature verifies with the target's secret");
  assert.equal(webhook.headers["sentry-hook-resource"], "event_alert");
  const body = JSON.parse(webhook.body);
  assert.equal(body.action, "triggered");
  assert.equal(body.data.triggered_rule, "New errors in e2e");
  assert.equal(body.data.event.event_id, eventId);
  const [row] = await waitForEvents(faultline, [eventId]);
  assert.equal(body.data.event.issue_id, String(row.issue_id));
  assert.equal(body.data.event.web_url, `http://127.0.0.1:8788/issues/${row.issue_id}/?event=${eventId}`);
  assert.equal(body.data.event.release, "faultline-e2e@2.0.0");
  assert.match(body.data.event.exception.values.at(-1).value, /the payment provider timed out/);

  // Slack answered 429 with Retry-After: 1 first; the queue retried the delivery.
  const slack = await receiver.waitFor((r) => r.name === "slack", 2, 60_000);
  assert.deepEqual(
    slack.map((r) => r.status),
    [429, 200],
  );
  assert.equal(slack[0].body, slack[1].body, "the retry sends the same message");
  const message = JSON.parse(slack[1].body);
  assert.equal(message.blocks.at(-1).elements[0].url, `http://127.0.0.1:8788/issues/${row.issue_id}/`);

  const deliveries = await faultline.query("SELECT target_type, status, attempts FROM alert_deliveries ORDER BY id");
  assert.deepEqual(deliveries, [
    { target_type: "slack", status: "sent", attempts: 2 },
    { target_type: "webhook", status: "sent", attempts: 1 },
  ]);
  const attempts = await faultline.query(
    "SELECT d.target_type, a.attempt, a.http_status, a.outcome, a.retry_delay_seconds FROM alert_delivery_attempts a JOIN alert_deliveries d ON d.id = a.delivery_id ORDER BY a.id",
  );
  assert.deepEqual(
    attempts.filter((a) => a.target_type === "slack"),
    [
      { target_type: "slack", attempt: 1, http_status: 429, outcome: "retry", retry_delay_seconds: 1 },
      { target_type: "slack", attempt: 2, http_status: 200, outcome: "sent", retry_delay_seconds: null },
    ],
  );
  assert.equal(receiver.requests.length, 3, "nothing else was sent");
});
