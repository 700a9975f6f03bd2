import type { AlertTargetInput } from "../../../db/alert-rule-definition";
import { type AlertContext, type AlertLinks, alertLinks, issueShortId } from "../../../alert-channels/alert-context";
import { UnsendableTargetError, buildAlertDispatch } from "../../../alert-channels/build-alert-dispatch";
import { type AttemptResult, sendAlertRequest } from "../../../alert-channels/send-alert-request";
import { type SampleIssue, newWebhookSecret } from "./alert-rule-queries";
import type { ProjectRow } from "../projects/project-queries";

export const TEST_REASON = "This is a test notification, sent from the rule form: no rule fired";

/**
 * What a test notification says: the project's latest unresolved issue when it has one, or a
 * made-up one pointing at the project's alerts page, so a team can see the message before any
 * error arrives.
 */
export function testNotification(
  project: ProjectRow,
  issue: SampleIssue | null,
  ruleName: string,
  dashboardUrl: string,
  now: number,
): { context: AlertContext; links: AlertLinks } {
  const shown: SampleIssue = issue ?? {
    id: 0,
    title: "Error: this is what an alert from Faultline looks like",
    culprit: "alerts/test-notification",
    level: "error",
    firstSeen: now,
    lastSeen: now,
    timesSeen: 1,
    userCount: 0,
    lastEventId: null,
  };
  const { lastEventId, ...facts } = shown;
  const context: AlertContext = {
    rule: { id: 0, name: ruleName },
    project: { id: project.id, slug: project.slug, name: project.name, organizationSlug: project.organization.slug },
    issue: { ...facts, shortId: issue === null ? `${project.slug.toUpperCase()}-TEST` : issueShortId(project.slug, issue.id) },
    // Receivers of Sentry's webhook expect an event id: the issue's latest event, or a made-up one.
    event: {
      eventId: lastEventId ?? crypto.randomUUID().replaceAll("-", ""),
      level: shown.level,
      environment: null,
      release: null,
      timestamp: shown.lastSeen,
    },
    reasons: [TEST_REASON],
    firedAt: now,
  };
  if (issue !== null) return { context, links: alertLinks(dashboardUrl, lastEventId === null ? { ...context, event: null } : context) };
  const alertsPage = `${dashboardUrl.replace(/\/+$/, "")}/organizations/${encodeURIComponent(project.organization.slug)}/projects/${encodeURIComponent(project.slug)}/alerts`;
  return { context, links: { issueUrl: alertsPage, eventUrl: null, issueApiUrl: alertsPage, eventApiUrl: null } };
}

export interface TestNotificationResult extends AttemptResult {
  /** A webhook target without a secret yet (an unsaved one) was signed with a throwaway secret. */
  signedWithOneOffSecret: boolean;
}

/**
 * Sends one test notification to a target, through the same formatting and the same request
 * (5 s timeout, no redirects) as a real alert, and says how it went. It is not retried and not
 * logged: the person who pressed the button sees the answer. Email goes out through the Worker's
 * send_email binding, which the dashboard does not have.
 */
export async function sendTestNotification(
  target: AlertTargetInput,
  notification: { context: AlertContext; links: AlertLinks },
  options: { dashboardUrl: string; now: number; fetch?: typeof fetch },
): Promise<TestNotificationResult> {
  if (target.type === "email") {
    return {
      outcome: "failed",
      httpStatus: null,
      latencyMs: 0,
      error:
        "email is sent by the Worker's send_email binding: the dashboard cannot send a test email; save the rule and its alerts will go out",
      retryAfterSeconds: null,
      signedWithOneOffSecret: false,
    };
  }
  if (target.type === "push") {
    return {
      outcome: "failed",
      httpStatus: null,
      latencyMs: 0,
      error:
        "push notifications are signed with the Worker's VAPID key: the dashboard cannot send a test one; save the rule and its alerts will go out",
      retryAfterSeconds: null,
      signedWithOneOffSecret: false,
    };
  }
  const throwawaySecret = target.type === "webhook" && !target.secret ? newWebhookSecret() : null;
  try {
    const dispatch = await buildAlertDispatch(
      { type: target.type, url: target.url, address: null, secret: target.type === "webhook" ? target.secret || throwawaySecret : null },
      notification.context,
      { dashboardUrl: options.dashboardUrl, emailFrom: "", now: options.now, eventData: null, links: notification.links },
    );
    if (dispatch.kind !== "http") throw new UnsendableTargetError("not an HTTP target");
    return { ...(await sendAlertRequest(dispatch, { fetch: options.fetch })), signedWithOneOffSecret: throwawaySecret !== null };
  } catch (err) {
    if (!(err instanceof UnsendableTargetError)) throw err;
    return {
      outcome: "failed",
      httpStatus: null,
      latencyMs: 0,
      error: err.message,
      retryAfterSeconds: null,
      signedWithOneOffSecret: throwawaySecret !== null,
    };
  }
}
