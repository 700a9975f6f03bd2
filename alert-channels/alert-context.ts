/**
 * What a notification says about an issue, frozen when the rule fires (alert_firings.context):
 * every retry of every target sends the same facts, and the delivery log can show them.
 */
export interface AlertContext {
  rule: { id: number; name: string };
  project: { id: number; slug: string; name: string; organizationSlug: string };
  issue: {
    id: number;
    shortId: string;
    title: string;
    culprit: string;
    level: string;
    firstSeen: number;
    lastSeen: number;
    timesSeen: number;
    userCount: number;
  };
  /** The event the rule fired for (the newest of the batch its filters hold for); null if it could not be read. */
  event: { eventId: string; level: string; environment: string | null; release: string | null; timestamp: number } | null;
  /** Why the rule fired, one sentence per trigger that held ("A new issue was created"). */
  reasons: string[];
  firedAt: number;
}

/** The read API's short id (`<PROJECT-SLUG>-<id in base 36>`, dashboard/api/issues/serialize-issue.ts), kept out of the Worker's bundle. */
export function issueShortId(projectSlug: string, issueId: number): string {
  return `${projectSlug.toUpperCase()}-${issueId.toString(36).toUpperCase()}`;
}

/** Where a notification points: the issue and event in the dashboard, and the same in the API. */
export interface AlertLinks {
  issueUrl: string;
  eventUrl: string | null;
  issueApiUrl: string;
  eventApiUrl: string | null;
}

/**
 * Links into the dashboard at `dashboardUrl`: the issue page by its permalink (the read API's
 * `permalink`, dashboard/src/page-routes.ts), one of its events with `?event=`; and Sentry's API
 * paths for the webhook's `issue_url` and `url`.
 */
export function alertLinks(dashboardUrl: string, context: AlertContext): AlertLinks {
  const origin = dashboardUrl.replace(/\/+$/, "");
  const issue = context.issue.id;
  const event = context.event === null ? null : encodeURIComponent(context.event.eventId);
  const { organizationSlug, slug } = context.project;
  // User feedback tied to no issue (queue-consumer/alerts/fire-feedback-alerts.ts): its project's Feedback page.
  if (issue === 0) {
    const feedbackUrl = `${origin}/organizations/${encodeURIComponent(organizationSlug)}/feedback?project=${encodeURIComponent(slug)}`;
    const feedbackApiUrl = `${origin}/api/0/projects/${encodeURIComponent(organizationSlug)}/${encodeURIComponent(slug)}/user-feedback/`;
    return { issueUrl: feedbackUrl, eventUrl: null, issueApiUrl: feedbackApiUrl, eventApiUrl: null };
  }
  return {
    issueUrl: `${origin}/issues/${issue}/`,
    eventUrl: event === null ? null : `${origin}/issues/${issue}/?event=${event}`,
    issueApiUrl: `${origin}/api/0/issues/${issue}/`,
    eventApiUrl:
      event === null
        ? null
        : `${origin}/api/0/projects/${encodeURIComponent(organizationSlug)}/${encodeURIComponent(slug)}/events/${event}/`,
  };
}

/** The facts every notification lists, in order. */
export function alertFacts(context: AlertContext): Array<{ label: string; value: string }> {
  const { issue, event, project } = context;
  return [
    { label: "Level", value: event?.level ?? issue.level },
    { label: "Environment", value: event?.environment ?? "none" },
    { label: "Release", value: event?.release ?? "none" },
    { label: "Events", value: issue.timesSeen.toLocaleString("en-US") },
    { label: "Users", value: issue.userCount.toLocaleString("en-US") },
    { label: "Project", value: project.name },
  ];
}

/** Why the rule fired, as one line. */
export function alertReason(context: AlertContext): string {
  return context.reasons.join("; ");
}
