import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { deliverAlert, deliveryDepsFrom } from "../../../queue-consumer/alerts/deliver-alert";
import { evaluateAlertRules, evaluationOf } from "../../../queue-consumer/alerts/evaluate-alert-rules";
import { receivedBy, receiverKey, receiverUrl, registerWebhookSecret } from "../../support/alert-receivers/receiver-client";
import { digest, envelopeMessage, recordingQueue } from "../../support/seed-alerts";
import { type SeededOrganization, seedIssue, seedOrganization } from "../../support/seed-issues";

const DEPLOYED = "https://faultline.example.com";
// The dashboard under `npm start`: loopback receivers are allowed there.
const LOCAL = "http://127.0.0.1:8788";

async function call(org: SeededOrganization, method: string, path: string, body?: unknown, origin = DEPLOYED) {
  const ctx = createExecutionContext();
  const request = new Request(`${origin}/api/0/projects/${org.orgSlug}/${org.projectSlug}${path}`, {
    method,
    headers: { authorization: `Bearer ${org.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const res = await apiApp.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : (JSON.parse(text) as any) };
}

const rule = {
  name: "Checkout errors to #oncall",
  match: "any",
  triggers: [{ type: "new_issue" }, { type: "event_frequency", value: 100, interval: "5m" }],
  filters: [
    { type: "level", value: "error" },
    { type: "environment", value: "production" },
  ],
  targets: [
    { type: "slack", url: "https://hooks.slack.com/services/T0/B0/abc" },
    { type: "webhook", url: "https://hooks.example.com/sentry" },
    { type: "email", address: "oncall@example.com" },
  ],
  frequencyMinutes: 15,
};

describe("POST and GET /api/0/projects/{org}/{project}/alert-rules/", () => {
  it("creates a rule and answers it as stored, with each target's id and the webhook's signing secret", async () => {
    const org = await seedOrganization();
    const created = await call(org, "POST", "/alert-rules/", rule);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: rule.name,
      match: "any",
      triggers: rule.triggers,
      filters: rule.filters,
      targets: [
        { id: expect.stringMatching(/^\d+$/), type: "slack", url: "https://hooks.slack.com/services/T0/B0/abc" },
        {
          id: expect.stringMatching(/^\d+$/),
          type: "webhook",
          url: "https://hooks.example.com/sentry",
          secret: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
        { id: expect.stringMatching(/^\d+$/), type: "email", address: "oncall@example.com" },
      ],
      frequencyMinutes: 15,
      projects: [org.projectSlug],
      dateCreated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      dateUpdated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await call(org, "GET", `/alert-rules/${created.json.id}/`)).toEqual({ status: 200, json: created.json });
    expect(await call(org, "GET", "/alert-rules/")).toEqual({ status: 200, json: [created.json] });
  });

  it("fills in match any, no filters and 30 minutes", async () => {
    const org = await seedOrganization();
    const { json } = await call(org, "POST", "/alert-rules/", {
      name: "New issues",
      triggers: [{ type: "new_issue" }],
      targets: [rule.targets[0]],
    });
    expect(json).toMatchObject({ match: "any", filters: [], frequencyMinutes: 30 });
  });

  it("answers 400 naming the bad field", async () => {
    const org = await seedOrganization();
    const refused = async (body: unknown) => (await call(org, "POST", "/alert-rules/", body)).json.detail as string;
    expect(await refused({ ...rule, triggers: [{ type: "event_frequency", value: 100, interval: "2m" }] })).toBe(
      'triggers.0.interval: Invalid option: expected one of "1m"|"5m"|"15m"|"1h"|"1d"',
    );
    expect(await refused({ ...rule, triggers: [{ type: "first_seen_event" }] })).toBe(
      "triggers.0.type: expected one of new_issue, regression, escalating, new_feedback, event_frequency, unique_users, transaction_duration, failure_rate, crash_free_rate",
    );
    expect(await refused({ ...rule, filters: [{ type: "age", older_than: "a week" }] })).toBe(
      "filters.0.older_than: expected a duration like 30m, 12h, 7d or 2w, at most a year",
    );
    expect(await refused({ ...rule, filters: [{ type: "level", value: "critical" }] })).toMatch(/^filters\.0\.value: /);
    expect(await refused({ ...rule, targets: [{ type: "email", address: "nobody" }] })).toBe(
      "targets.0.address: expected an email address",
    );
    expect(await refused({ ...rule, targets: [{ type: "slack", url: "http://hooks.slack.com/services/x" }] })).toBe(
      "targets.0.url: must be an https URL",
    );
    expect(await refused({ ...rule, targets: [] })).toMatch(/^targets: /);
    expect(await refused({ ...rule, frequencyMinutes: -5 })).toMatch(/^frequencyMinutes: /);
    expect(await refused({ ...rule, name: undefined })).toMatch(/^name: /);
    expect(await refused({ ...rule, colour: "red" })).toBe('body: Unrecognized key: "colour"');
    expect(await refused("{not json")).toBe("body: not valid JSON");
    expect((await call(org, "GET", "/alert-rules/")).json).toEqual([]);
  });

  it("takes plain http targets on loopback addresses only from a dashboard running locally", async () => {
    const org = await seedOrganization();
    const local = { ...rule, targets: [{ type: "webhook", url: "http://127.0.0.1:9999/hook" }] };
    expect((await call(org, "POST", "/alert-rules/", local)).json.detail).toBe("targets.0.url: must be an https URL");
    expect((await call(org, "POST", "/alert-rules/", local, LOCAL)).status).toBe(201);
    const elsewhere = { ...rule, targets: [{ type: "webhook", url: "http://192.168.1.20/hook" }] };
    expect((await call(org, "POST", "/alert-rules/", elsewhere, LOCAL)).json.detail).toBe(
      "targets.0.url: must be an https URL (or http to a loopback address)",
    );
  });
});

describe("PUT and DELETE /api/0/projects/{org}/{project}/alert-rules/{id}/", () => {
  it("replaces a rule; a target still there keeps its id and secret, the others are replaced", async () => {
    const org = await seedOrganization();
    const created = (await call(org, "POST", "/alert-rules/", rule)).json;
    const [slack, webhook] = created.targets;
    // What a client does: read it, change it, send it back (target ids and secrets included).
    const changed = {
      ...created,
      name: "Regressions",
      match: "all",
      triggers: [{ type: "regression" }],
      filters: [],
      targets: [webhook, { type: "discord", url: "https://discord.com/api/webhooks/1/x" }],
      frequencyMinutes: 60,
    };
    delete changed.id;
    delete changed.projects;
    delete changed.dateCreated;
    delete changed.dateUpdated;
    const updated = await call(org, "PUT", `/alert-rules/${created.id}/`, changed);
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      id: created.id,
      name: "Regressions",
      match: "all",
      triggers: [{ type: "regression" }],
      filters: [],
      frequencyMinutes: 60,
    });
    expect(updated.json.targets).toEqual([
      webhook,
      { id: expect.any(String), type: "discord", url: "https://discord.com/api/webhooks/1/x" },
    ]);
    expect(updated.json.targets[1].id).not.toBe(slack.id);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM alert_targets WHERE id = ?").bind(Number(slack.id)).first()).toEqual({ n: 0 });
  });

  it("deletes a rule with its targets", async () => {
    const org = await seedOrganization();
    const { id } = (await call(org, "POST", "/alert-rules/", rule)).json;
    expect(await call(org, "DELETE", `/alert-rules/${id}/`)).toEqual({ status: 204, json: null });
    expect((await call(org, "GET", `/alert-rules/${id}/`)).status).toBe(404);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM alert_targets WHERE rule_id = ?").bind(Number(id)).first()).toEqual({ n: 0 });
  });

  it("another organization's rules, or a rule id of another project, are 404s", async () => {
    const mine = await seedOrganization();
    const theirs = await seedOrganization();
    const { id } = (await call(theirs, "POST", "/alert-rules/", rule)).json;
    for (const [method, body] of [
      ["GET", undefined],
      ["PUT", rule],
      ["DELETE", undefined],
    ] as const) {
      expect((await call(mine, method, `/alert-rules/${id}/`, body)).status).toBe(404);
    }
    expect((await call(mine, "GET", "/alert-rules/not-a-number/")).status).toBe(404);
    expect((await call({ ...mine, projectSlug: theirs.projectSlug }, "GET", "/alert-rules/")).status).toBe(404);
  });

  it("needs credentials", async () => {
    const org = await seedOrganization();
    expect((await call({ ...org, token: "flt_wrong" }, "GET", "/alert-rules/")).status).toBe(401);
  });
});

describe("a rule made through the API", () => {
  it("fires on the digest's next new issue, and its deliveries show in the delivery log with every attempt", async () => {
    const org = await seedOrganization();
    const key = receiverKey("api-rule");
    const created = (
      await call(
        org,
        "POST",
        "/alert-rules/",
        {
          name: "Everything new",
          triggers: [{ type: "new_issue" }],
          targets: [{ type: "slack", url: receiverUrl("flaky", "slack", key) }],
        },
        LOCAL,
      )
    ).json;
    const { queue, sent } = recordingQueue();
    await evaluateAlertRules(env.DB, queue, evaluationOf(await digest([envelopeMessage(org.projectId)]))!);
    expect(sent).toHaveLength(1);
    const deliveryId = (sent[0] as { deliveryId: number }).deliveryId;
    for (let i = 0; i < 3; i++) await deliverAlert(env.DB, deliveryId, deliveryDepsFrom(env));

    const log = await call(org, "GET", `/alert-deliveries/?rule=${created.id}`);
    expect(log.status).toBe(200);
    expect(log.json).toEqual([
      {
        id: String(deliveryId),
        ruleId: created.id,
        issueId: expect.stringMatching(/^\d+$/),
        targetId: created.targets[0].id,
        targetType: "slack",
        status: "sent",
        attempts: [
          expect.objectContaining({
            attempt: 1,
            httpStatus: 503,
            outcome: "retry",
            error: "HTTP 503: service unavailable",
            retryDelaySeconds: 15,
          }),
          expect.objectContaining({ attempt: 2, httpStatus: 503, outcome: "retry", retryDelaySeconds: 45 }),
          expect.objectContaining({
            attempt: 3,
            httpStatus: 200,
            outcome: "sent",
            error: null,
            retryDelaySeconds: null,
            latencyMs: expect.any(Number),
          }),
        ],
        lastError: null,
        dateCreated: expect.any(String),
        dateSent: expect.any(String),
      },
    ]);
    expect((await call(org, "GET", `/alert-deliveries/?before=${encodeURIComponent(log.json[0].dateCreated)}`)).json).toEqual([]);
    expect((await call(org, "GET", "/alert-deliveries/?limit=500")).json.detail).toMatch(/^limit: /);
  });
});

describe("GET /api/0/projects/{org}/{project}/alert-deliveries/", () => {
  it("pages through deliveries that share their time (one firing, many targets) without skipping any", async () => {
    const org = await seedOrganization();
    const targets = [0, 1, 2].map((i) => ({ type: "slack", url: `https://hooks.slack.com/services/T0/B0/${i}` }));
    await call(org, "POST", "/alert-rules/", { name: "Three channels", triggers: [{ type: "new_issue" }], targets });
    const { queue } = recordingQueue();
    await evaluateAlertRules(env.DB, queue, evaluationOf(await digest([envelopeMessage(org.projectId)]))!);

    const all = (await call(org, "GET", "/alert-deliveries/")).json as Array<{ id: string; dateCreated: string }>;
    expect(all).toHaveLength(3);
    expect(new Set(all.map((d) => d.dateCreated)).size).toBe(1);
    const first = (await call(org, "GET", "/alert-deliveries/?limit=2")).json as typeof all;
    const last = first.at(-1)!;
    const rest = (await call(org, "GET", `/alert-deliveries/?limit=2&before=${encodeURIComponent(last.dateCreated)}&beforeId=${last.id}`))
      .json as typeof all;
    expect([...first, ...rest].map((d) => d.id)).toEqual(all.map((d) => d.id));
    expect((await call(org, "GET", "/alert-deliveries/?beforeId=x")).json.detail).toMatch(/^beforeId: /);
  });
});

describe("POST /api/0/projects/{org}/{project}/alert-rules/test-notification/", () => {
  const test = (org: SeededOrganization, body: unknown, origin = LOCAL) =>
    call(org, "POST", "/alert-rules/test-notification/", body, origin);

  it("sends the project's latest unresolved issue to an unsaved Slack target, marked as a test, and says it arrived", async () => {
    const org = await seedOrganization();
    await seedIssue(org.projectId, { title: "TypeError: older", lastSeen: Date.now() - 600_000 });
    const latest = await seedIssue(org.projectId, {
      title: "TypeError: cart is undefined",
      culprit: "checkout/cart in total",
      lastSeen: Date.now() - 1_000,
    });
    await seedIssue(org.projectId, { title: "Resolved, so not shown", status: "resolved", lastSeen: Date.now() });
    const key = receiverKey("test-slack");

    const res = await test(org, { name: "Checkout errors", target: { type: "slack", url: receiverUrl("ok", "slack", key) } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ sent: true, httpStatus: 200, latencyMs: expect.any(Number), error: null });
    const [arrival, ...more] = await receivedBy(key);
    expect(more).toEqual([]);
    expect(arrival!.problems).toEqual([]);
    expect(arrival!.body).toContain("TypeError: cart is undefined");
    expect(arrival!.body).toContain("This is a test notification");
    expect(arrival!.body).toContain(`${LOCAL}/issues/${latest}/`);
    // A test leaves no rule and no delivery behind.
    expect((await call(org, "GET", "/alert-rules/")).json).toEqual([]);
    expect((await call(org, "GET", "/alert-deliveries/")).json).toEqual([]);
  });

  it("signs a webhook with the target's secret, or with a throwaway one it answers when the target has none yet", async () => {
    const org = await seedOrganization();
    const secret = "a".repeat(64);
    const saved = receiverKey("test-webhook");
    await registerWebhookSecret(saved, secret);
    const res = await test(org, { target: { type: "webhook", url: receiverUrl("ok", "webhook", saved), secret } });
    expect(res.json).toMatchObject({ sent: true, httpStatus: 200 });
    expect(res.json.note).toBeUndefined();
    const [arrival] = await receivedBy(saved);
    expect(arrival!.problems).toEqual([]);
    const payload = JSON.parse(arrival!.body);
    expect(payload).toMatchObject({
      action: "triggered",
      data: { triggered_rule: "Test notification", event: { project: org.projectId } },
    });
    // No issue yet: the link goes to the project's alerts page instead of an issue that does not exist.
    expect(payload.data.event.web_url).toBe(`${LOCAL}/organizations/${org.orgSlug}/projects/${org.projectSlug}/alerts`);

    // An unsaved target has no secret yet: signed with a one-off one, which the answer says.
    const unsaved = receiverKey("test-webhook-new");
    const fresh = await test(org, { target: { type: "webhook", url: receiverUrl("ok", "webhook", unsaved) } });
    expect(fresh.json).toMatchObject({ sent: false, httpStatus: 401, note: expect.stringContaining("one-off secret") });
    const [signed] = await receivedBy(unsaved);
    expect(signed!.headers["sentry-hook-signature"]).toMatch(/^[0-9a-f]{64}$/);
    expect(signed!.problems).toEqual(["signature: no secret registered for this key"]);
  });

  it("says what went wrong when the target is down, gone or not a platform's shape", async () => {
    const org = await seedOrganization();
    const down = await test(org, { target: { type: "discord", url: receiverUrl("down", "discord", receiverKey("test-down")) } });
    expect(down.json).toEqual({ sent: false, httpStatus: 500, latencyMs: expect.any(Number), error: "HTTP 500: internal error" });
    const gone = await test(org, { target: { type: "teams", url: receiverUrl("gone", "teams", receiverKey("test-gone")) } });
    expect(gone.json).toMatchObject({ sent: false, httpStatus: 410, error: "HTTP 410: channel_is_archived" });
    const email = await test(org, { target: { type: "email", address: "oncall@example.com" } });
    expect(email.json).toMatchObject({ sent: false, httpStatus: null, error: expect.stringContaining("send_email") });
  });

  it("answers 400 naming the bad field, and refuses plain http to loopback from a deployed dashboard", async () => {
    const org = await seedOrganization();
    const missing = await test(org, { target: { type: "slack" } });
    expect(missing.status).toBe(400);
    expect(missing.json.detail).toMatch(/^target\.url: /);
    const local = await test(org, { target: { type: "slack", url: receiverUrl("ok", "slack", receiverKey("test-deployed")) } }, DEPLOYED);
    expect(local.status).toBe(400);
    expect(local.json.detail).toBe("target.url: must be an https URL");
  });
});
