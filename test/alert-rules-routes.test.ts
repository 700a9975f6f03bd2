import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../dashboard/api/api-app";
import { deliverAlert, deliveryDepsFrom } from "../queue-consumer/deliver-alert";
import { evaluateAlertRules, evaluationOf } from "../queue-consumer/evaluate-alert-rules";
import { receiverKey, receiverUrl } from "./alert-receivers/receiver-client";
import { digest, envelopeMessage, recordingQueue } from "./seed-alerts";
import { type SeededOrganization, seedOrganization } from "./seed-issues";

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
  filters: [{ type: "level", value: "error" }, { type: "environment", value: "production" }],
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
        { id: expect.stringMatching(/^\d+$/), type: "webhook", url: "https://hooks.example.com/sentry", secret: expect.stringMatching(/^[0-9a-f]{64}$/) },
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
    const { json } = await call(org, "POST", "/alert-rules/", { name: "New issues", triggers: [{ type: "new_issue" }], targets: [rule.targets[0]] });
    expect(json).toMatchObject({ match: "any", filters: [], frequencyMinutes: 30 });
  });

  it("answers 400 naming the bad field", async () => {
    const org = await seedOrganization();
    const refused = async (body: unknown) => (await call(org, "POST", "/alert-rules/", body)).json.detail as string;
    expect(await refused({ ...rule, triggers: [{ type: "event_frequency", value: 100, interval: "2m" }] })).toBe(
      'triggers.0.interval: Invalid option: expected one of "1m"|"5m"|"15m"|"1h"|"1d"',
    );
    expect(await refused({ ...rule, triggers: [{ type: "first_seen_event" }] })).toBe(
      "triggers.0.type: expected one of new_issue, regression, escalating, event_frequency, unique_users",
    );
    expect(await refused({ ...rule, filters: [{ type: "age", older_than: "a week" }] })).toBe("filters.0.older_than: expected a duration like 30m, 12h, 7d or 2w, at most a year");
    expect(await refused({ ...rule, filters: [{ type: "level", value: "critical" }] })).toMatch(/^filters\.0\.value: /);
    expect(await refused({ ...rule, targets: [{ type: "email", address: "nobody" }] })).toBe("targets.0.address: expected an email address");
    expect(await refused({ ...rule, targets: [{ type: "slack", url: "http://hooks.slack.com/services/x" }] })).toBe("targets.0.url: must be an https URL");
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
    expect((await call(org, "POST", "/alert-rules/", elsewhere, LOCAL)).json.detail).toBe("targets.0.url: must be an https URL (or http to a loopback address)");
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
    expect(updated.json).toMatchObject({ id: created.id, name: "Regressions", match: "all", triggers: [{ type: "regression" }], filters: [], frequencyMinutes: 60 });
    expect(updated.json.targets).toEqual([webhook, { id: expect.any(String), type: "discord", url: "https://discord.com/api/webhooks/1/x" }]);
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
    for (const [method, body] of [["GET", undefined], ["PUT", rule], ["DELETE", undefined]] as const) {
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
      await call(org, "POST", "/alert-rules/", { name: "Everything new", triggers: [{ type: "new_issue" }], targets: [{ type: "slack", url: receiverUrl("flaky", "slack", key) }] }, LOCAL)
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
          expect.objectContaining({ attempt: 1, httpStatus: 503, outcome: "retry", error: "HTTP 503: service unavailable", retryDelaySeconds: 15 }),
          expect.objectContaining({ attempt: 2, httpStatus: 503, outcome: "retry", retryDelaySeconds: 45 }),
          expect.objectContaining({ attempt: 3, httpStatus: 200, outcome: "sent", error: null, retryDelaySeconds: null, latencyMs: expect.any(Number) }),
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
