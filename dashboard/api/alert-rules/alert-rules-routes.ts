import { type Context, Hono } from "hono";
import { z } from "zod";
import { type AlertRuleInput, alertRuleInputSchema, alertTargetSchema, isLoopbackHost } from "../../../db/alert-rule-definition";
import {
  createAlertRule,
  deleteAlertRule,
  findAlertRule,
  latestUnresolvedIssue,
  listAlertRules,
  listDeliveries,
  replaceAlertRule,
} from "./alert-rule-queries";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { database, projectInScope } from "../route-scope";
import { listMembers } from "../members/member-queries";
import { sendTestNotification, testNotification } from "./send-test-notification";
import { serializeAlertRule, serializeDelivery } from "./serialize-alert-rule";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * A project's issue alert rules: WHEN any or all triggers happen, IF every filter holds, THEN
 * notify the targets (db/alert-rule-definition.ts has the shape). The Worker's alerts consumer
 * reads them after every digest batch, so a change applies to the next batch. Also the delivery
 * log: what each rule sent, and every attempt.
 */
export const alertRulesRoutes = new Hono<ApiEnv>({ strict: false });

const BASE = "/projects/:org/:project/alert-rules";

alertRulesRoutes.get(BASE, async (c) => {
  const project = await projectInScope(c);
  const rules = await listAlertRules(database(c), project.id);
  return c.json(rules.map((rule) => serializeAlertRule(rule, project.slug)));
});

alertRulesRoutes.post(BASE, async (c) => {
  const project = await projectInScope(c);
  const input = parseRule(c, await readJsonBody(c.req.raw));
  const db = database(c);
  await checkPushTargets(db, project.organization.id, input.targets);
  const id = await createAlertRule(db, project.id, input);
  return c.json(serializeAlertRule((await findAlertRule(db, project.id, id))!, project.slug), 201);
});

const THROWAWAY_SECRET_NOTE =
  "Signed with a one-off secret: a new webhook target gets its own when the rule is saved, so a receiver that checks signatures refuses this test.";

// "Send test notification": one target, saved or not, gets a sample alert now; the answer says
// whether it arrived. Body: {"target": {"type", "url" | "address", "secret"?}, "name"?}.
alertRulesRoutes.post(`${BASE}/test-notification`, async (c) => {
  const project = await projectInScope(c);
  const body = await readJsonBody(c.req.raw);
  const input = validateInput(
    z.strictObject({
      target: alertTargetSchema(allowsLoopbackTargets(c)),
      name: z.string().trim().min(1).max(256).default("Test notification"),
    }),
    body,
  );
  const dashboardUrl = new URL(c.req.url).origin;
  const now = Date.now();
  const notification = testNotification(project, await latestUnresolvedIssue(database(c), project.id), input.name, dashboardUrl, now);
  const result = await sendTestNotification(input.target, notification, { dashboardUrl, now });
  return c.json({
    sent: result.outcome === "sent",
    httpStatus: result.httpStatus,
    latencyMs: Math.round(result.latencyMs),
    error: result.error,
    ...(result.signedWithOneOffSecret ? { note: THROWAWAY_SECRET_NOTE } : {}),
  });
});

alertRulesRoutes.get(`${BASE}/:ruleId`, async (c) => {
  const { project, rule } = await ruleInScope(c);
  return c.json(serializeAlertRule(rule, project.slug));
});

alertRulesRoutes.put(`${BASE}/:ruleId`, async (c) => {
  const { project, rule } = await ruleInScope(c);
  const input = parseRule(c, await readJsonBody(c.req.raw));
  const db = database(c);
  await checkPushTargets(db, project.organization.id, input.targets);
  await replaceAlertRule(db, rule, input);
  return c.json(serializeAlertRule((await findAlertRule(db, project.id, rule.id))!, project.slug));
});

alertRulesRoutes.delete(`${BASE}/:ruleId`, async (c) => {
  const { rule } = await ruleInScope(c);
  await deleteAlertRule(database(c), rule.id);
  return c.body(null, 204);
});

const deliveryQuery = z.object({
  rule: z
    .string()
    .regex(/^\d{1,15}$/, "expected a rule id")
    .transform(Number)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** The dateCreated (ISO 8601) of the last delivery of the previous page. */
  before: z.iso
    .datetime()
    .transform((t) => Date.parse(t))
    .optional(),
  /** And its id, so that deliveries sharing that dateCreated are not skipped. */
  beforeId: z
    .string()
    .regex(/^\d{1,15}$/, "expected a delivery id")
    .transform(Number)
    .optional(),
});

// The delivery log, newest first; the next page starts after the last one (`before` its
// dateCreated, `beforeId` its id).
alertRulesRoutes.get("/projects/:org/:project/alert-deliveries", async (c) => {
  const project = await projectInScope(c);
  const query = validateInput(deliveryQuery, c.req.query());
  const rows = await listDeliveries(database(c), project.id, {
    ruleId: query.rule,
    before: query.before,
    beforeId: query.beforeId,
    limit: query.limit,
  });
  return c.json(rows.map(serializeDelivery));
});

/** A push target notifies a member's browsers: its address must be a member of the project's organization. */
async function checkPushTargets(db: ReturnType<typeof database>, organizationId: number, targets: AlertRuleInput["targets"]) {
  const push = targets.flatMap((t, i) => (t.type === "push" ? [{ i, address: t.address.toLowerCase() }] : []));
  if (push.length === 0) return;
  const members = new Set((await listMembers(db, organizationId)).map((m) => m.email.toLowerCase()));
  const stranger = push.find((t) => !members.has(t.address));
  if (stranger !== undefined) badRequest(`targets.${stranger.i}.address: ${stranger.address} is not a member of the organization`);
}

async function ruleInScope(c: Context<ApiEnv>) {
  const project = await projectInScope(c);
  const ref = c.req.param("ruleId") ?? "";
  const rule = /^\d{1,15}$/.test(ref) ? await findAlertRule(database(c), project.id, Number(ref)) : null;
  return { project, rule: rule ?? notFound() };
}

/**
 * Plain http targets are accepted only on loopback addresses, and only when the dashboard itself
 * answers on one (local development), for receivers running next to it.
 */
function allowsLoopbackTargets(c: Context<ApiEnv>): boolean {
  return isLoopbackHost(new URL(c.req.url).hostname);
}

/** The body, validated; a 400 names the first bad field (`triggers.0.interval: ...`). */
function parseRule(c: Context<ApiEnv>, body: unknown) {
  const result = alertRuleInputSchema({ allowLoopbackHttp: allowsLoopbackTargets(c) }).safeParse(body, {
    error: z.locales.en().localeError,
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  return badRequest(`${issue?.path.length ? issue.path.map(String).join(".") : "body"}: ${issue?.message ?? "invalid"}`);
}
