import type { AlertRuleRow, AlertTargetRow, DeliveryLogRow } from "./alert-rule-queries";
import { iso } from "../projects/serialize-project";

/**
 * Alert rules as the API answers them: the body they were created with (ids as strings, times
 * ISO 8601), each target with its id, and a webhook target with the secret its receiver checks
 * Sentry-Hook-Signature against.
 */
export function serializeAlertRule(rule: AlertRuleRow, projectSlug: string) {
  return {
    id: String(rule.id),
    name: rule.name,
    match: rule.match,
    triggers: rule.triggers,
    filters: rule.filters,
    targets: rule.targets.map(serializeTarget),
    frequencyMinutes: rule.frequencyMinutes,
    projects: [projectSlug],
    dateCreated: iso(rule.createdAt),
    dateUpdated: iso(rule.updatedAt),
  };
}

function serializeTarget(target: AlertTargetRow) {
  const id = String(target.id);
  if (target.type === "email" || target.type === "push") return { id, type: target.type, address: target.address };
  if (target.type === "webhook") return { id, type: target.type, url: target.url, secret: target.secret };
  return { id, type: target.type, url: target.url };
}

export function serializeDelivery(delivery: DeliveryLogRow) {
  return {
    id: String(delivery.id),
    ruleId: String(delivery.ruleId),
    issueId: String(delivery.issueId),
    targetId: String(delivery.targetId),
    targetType: delivery.targetType,
    status: delivery.status,
    attempts: delivery.attemptLog.map((a) => ({
      attempt: a.attempt,
      dateStarted: iso(a.startedAt),
      latencyMs: a.latencyMs,
      httpStatus: a.httpStatus,
      outcome: a.outcome,
      error: a.error,
      retryDelaySeconds: a.retryDelaySeconds,
    })),
    lastError: delivery.lastError,
    dateCreated: iso(delivery.createdAt),
    dateSent: delivery.sentAt === null ? null : iso(delivery.sentAt),
  };
}
