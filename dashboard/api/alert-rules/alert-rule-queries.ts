import { and, asc, desc, eq, inArray, lt, or } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { AlertFilter, AlertRuleInput, AlertTargetType, AlertTrigger } from "../../../db/alert-rule-definition";
import { alertDeliveries, alertDeliveryAttempts, alertRules, alertTargets, alertThrottle, issues } from "../../../db/schema";
import type { AlertContext } from "../../../alert-channels/alert-context";

export interface AlertTargetRow {
  id: number;
  ruleId: number;
  type: AlertTargetType;
  url: string | null;
  address: string | null;
  secret: string | null;
}

export interface AlertRuleRow {
  id: number;
  projectId: number;
  name: string;
  match: "any" | "all";
  triggers: AlertTrigger[];
  filters: AlertFilter[];
  frequencyMinutes: number;
  createdAt: number;
  updatedAt: number;
  targets: AlertTargetRow[];
}

const ruleColumns = {
  id: alertRules.id,
  projectId: alertRules.projectId,
  name: alertRules.name,
  match: alertRules.match,
  triggers: alertRules.triggers,
  filters: alertRules.filters,
  frequencyMinutes: alertRules.frequencyMinutes,
  createdAt: alertRules.createdAt,
  updatedAt: alertRules.updatedAt,
};
const targetColumns = {
  id: alertTargets.id,
  ruleId: alertTargets.ruleId,
  type: alertTargets.type,
  url: alertTargets.url,
  address: alertTargets.address,
  secret: alertTargets.secret,
};

/** A project's rules with their targets, oldest first (alert_rules_by_project, alert_targets_by_rule). */
export async function listAlertRules(db: DrizzleD1Database, projectId: number): Promise<AlertRuleRow[]> {
  const rules = await db.select(ruleColumns).from(alertRules).where(eq(alertRules.projectId, projectId)).orderBy(asc(alertRules.id));
  return withTargets(db, rules);
}

/** One rule of a project; null when it is another project's or does not exist. */
export async function findAlertRule(db: DrizzleD1Database, projectId: number, ruleId: number): Promise<AlertRuleRow | null> {
  const rules = await db
    .select(ruleColumns)
    .from(alertRules)
    .where(and(eq(alertRules.id, ruleId), eq(alertRules.projectId, projectId)))
    .limit(1);
  const [rule] = await withTargets(db, rules);
  return rule ?? null;
}

async function withTargets(db: DrizzleD1Database, rules: Array<Omit<AlertRuleRow, "targets">>): Promise<AlertRuleRow[]> {
  if (rules.length === 0) return [];
  const targets = await db
    .select(targetColumns)
    .from(alertTargets)
    .where(
      inArray(
        alertTargets.ruleId,
        rules.map((r) => r.id),
      ),
    )
    .orderBy(asc(alertTargets.id));
  return rules.map((rule) => ({ ...rule, targets: targets.filter((t) => t.ruleId === rule.id) }));
}

/** A webhook target's signing secret: 256 random bits, hex. */
export function newWebhookSecret(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function targetValues(ruleId: number, target: AlertRuleInput["targets"][number], now: number) {
  return {
    ruleId,
    type: target.type,
    url: "url" in target ? target.url : null,
    address: "address" in target ? target.address : null,
    secret: target.type === "webhook" ? newWebhookSecret() : null,
    createdAt: now,
  };
}

export async function createAlertRule(db: DrizzleD1Database, projectId: number, input: AlertRuleInput, now = Date.now()): Promise<number> {
  const [rule] = await db
    .insert(alertRules)
    .values({
      projectId,
      name: input.name,
      match: input.match,
      triggers: input.triggers,
      filters: input.filters,
      frequencyMinutes: input.frequencyMinutes,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: alertRules.id });
  const ruleId = rule!.id;
  const [first, ...rest] = input.targets.map((t) => db.insert(alertTargets).values(targetValues(ruleId, t, now)));
  if (first) await db.batch([first, ...rest]);
  return ruleId;
}

/**
 * Replaces a rule, in one transaction. A target that is still there (same type and URL or
 * address) keeps its id and its webhook secret, so receivers need no new secret when only the
 * triggers change; the others go, and deliveries still queued for them end as failed.
 */
export async function replaceAlertRule(db: DrizzleD1Database, rule: AlertRuleRow, input: AlertRuleInput, now = Date.now()): Promise<void> {
  const destination = (t: { type: string; url?: string | null; address?: string | null }) => `${t.type} ${t.url ?? ""} ${t.address ?? ""}`;
  const kept = new Set<number>();
  const added: AlertRuleInput["targets"] = [];
  for (const target of input.targets) {
    const existing = rule.targets.find((t) => !kept.has(t.id) && destination(t) === destination(target));
    if (existing) kept.add(existing.id);
    else added.push(target);
  }
  const removed = rule.targets.filter((t) => !kept.has(t.id)).map((t) => t.id);
  await db.batch([
    db
      .update(alertRules)
      .set({
        name: input.name,
        match: input.match,
        triggers: input.triggers,
        filters: input.filters,
        frequencyMinutes: input.frequencyMinutes,
        updatedAt: now,
      })
      .where(eq(alertRules.id, rule.id)),
    ...(removed.length > 0
      ? [endQueuedDeliveries(db, rule.id, now, removed), db.delete(alertTargets).where(inArray(alertTargets.id, removed))]
      : []),
    ...added.map((t) => db.insert(alertTargets).values(targetValues(rule.id, t, now))),
  ]);
}

/**
 * Deliveries still waiting for targets that go (all of the rule's, without `targetIds`) end as
 * failed now: a target's id can be given again to a new target, maybe another project's, which
 * a retry must never reach (alert_deliveries_by_rule).
 */
function endQueuedDeliveries(db: DrizzleD1Database, ruleId: number, now: number, targetIds?: number[]) {
  const waiting = and(eq(alertDeliveries.ruleId, ruleId), inArray(alertDeliveries.status, ["pending", "retrying"]));
  return db
    .update(alertDeliveries)
    .set({ status: "failed", lastError: "the target was removed from its rule", leaseUntil: null, updatedAt: now })
    .where(targetIds === undefined ? waiting : and(waiting, inArray(alertDeliveries.targetId, targetIds)));
}

/** Deletes a rule, its targets and its throttle; its firings and delivery log stay, its queued deliveries end. */
export async function deleteAlertRule(db: DrizzleD1Database, ruleId: number, now = Date.now()): Promise<void> {
  await db.batch([
    endQueuedDeliveries(db, ruleId, now),
    db.delete(alertTargets).where(eq(alertTargets.ruleId, ruleId)),
    db.delete(alertThrottle).where(eq(alertThrottle.ruleId, ruleId)),
    db.delete(alertRules).where(eq(alertRules.id, ruleId)),
  ]);
}

export interface DeliveryLogRow {
  id: number;
  ruleId: number;
  issueId: number;
  targetId: number;
  targetType: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  attemptLog: Array<{
    attempt: number;
    startedAt: number;
    latencyMs: number;
    httpStatus: number | null;
    outcome: string;
    error: string | null;
    retryDelaySeconds: number | null;
  }>;
}

/**
 * A project's deliveries, newest first, with every attempt: a page of alert_deliveries_by_project
 * (or alert_deliveries_by_rule for one rule) before `before`, then their attempts
 * (alert_delivery_attempts_by_delivery).
 */
export async function listDeliveries(
  db: DrizzleD1Database,
  projectId: number,
  options: { ruleId?: number; before?: number; beforeId?: number; limit: number },
): Promise<DeliveryLogRow[]> {
  const conditions = [
    options.ruleId === undefined
      ? eq(alertDeliveries.projectId, projectId)
      : and(eq(alertDeliveries.ruleId, options.ruleId), eq(alertDeliveries.projectId, projectId)),
  ];
  if (options.before !== undefined) {
    // The deliveries of one firing share their created_at: with the last one's id too, a page
    // boundary between them skips none.
    const { before, beforeId } = options;
    conditions.push(
      beforeId === undefined
        ? lt(alertDeliveries.createdAt, before)
        : or(lt(alertDeliveries.createdAt, before), and(eq(alertDeliveries.createdAt, before), lt(alertDeliveries.id, beforeId)))!,
    );
  }
  const deliveries = await db
    .select({
      id: alertDeliveries.id,
      ruleId: alertDeliveries.ruleId,
      issueId: alertDeliveries.issueId,
      targetId: alertDeliveries.targetId,
      targetType: alertDeliveries.targetType,
      status: alertDeliveries.status,
      attempts: alertDeliveries.attempts,
      lastError: alertDeliveries.lastError,
      createdAt: alertDeliveries.createdAt,
      sentAt: alertDeliveries.sentAt,
    })
    .from(alertDeliveries)
    .where(and(...conditions))
    .orderBy(desc(alertDeliveries.createdAt), desc(alertDeliveries.id))
    .limit(options.limit);
  if (deliveries.length === 0) return [];
  const attempts = await db
    .select({
      deliveryId: alertDeliveryAttempts.deliveryId,
      attempt: alertDeliveryAttempts.attempt,
      startedAt: alertDeliveryAttempts.startedAt,
      latencyMs: alertDeliveryAttempts.latencyMs,
      httpStatus: alertDeliveryAttempts.httpStatus,
      outcome: alertDeliveryAttempts.outcome,
      error: alertDeliveryAttempts.error,
      retryDelaySeconds: alertDeliveryAttempts.retryDelaySeconds,
    })
    .from(alertDeliveryAttempts)
    .where(
      inArray(
        alertDeliveryAttempts.deliveryId,
        deliveries.map((d) => d.id),
      ),
    )
    .orderBy(asc(alertDeliveryAttempts.deliveryId), asc(alertDeliveryAttempts.attempt), asc(alertDeliveryAttempts.id));
  return deliveries.map((d) => ({ ...d, attemptLog: attempts.filter((a) => a.deliveryId === d.id).map(({ deliveryId: _d, ...a }) => a) }));
}

/** The issue a test notification shows: the project's latest, so the message looks like the real ones. */
export type SampleIssue = Omit<AlertContext["issue"], "shortId"> & { lastEventId: string | null };

/** The project's most recently seen unresolved issue, for a test notification (issues_by_last_seen). */
export async function latestUnresolvedIssue(db: DrizzleD1Database, projectId: number): Promise<SampleIssue | null> {
  const [issue] = await db
    .select({
      id: issues.id,
      title: issues.title,
      culprit: issues.culprit,
      level: issues.level,
      firstSeen: issues.firstSeen,
      lastSeen: issues.lastSeen,
      timesSeen: issues.timesSeen,
      userCount: issues.userCount,
      lastEventId: issues.lastEventId,
    })
    .from(issues)
    .where(and(eq(issues.projectId, projectId), eq(issues.status, "unresolved")))
    .orderBy(desc(issues.lastSeen))
    .limit(1);
  return issue ?? null;
}
