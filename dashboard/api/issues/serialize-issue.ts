import { type AssigneeRow, type IssueRow, type ReleaseRow, type TagValueRow, releaseKey } from "./issue-queries";
import { iso, serializeProjectRef } from "../projects/serialize-project";

/**
 * Issues in the shape of Sentry's Web API (https://docs.sentry.io/api/events/list-a-projects-issues/,
 * https://docs.sentry.io/api/events/retrieve-an-issue/): ids and counts as strings, times ISO
 * 8601, Sentry's names for statuses and their details. Fields for features Faultline does not
 * have (bookmarks, subscriptions, sharing) keep Sentry's neutral values.
 */
export interface IssueContext {
  /** The dashboard's origin, for permalinks. */
  origin: string;
  releases: Map<string, ReleaseRow>;
  /** The assignees of the issues serialized, by user id. */
  assignees: Map<number, AssigneeRow>;
  /** How many comments each issue has, by issue id (none when absent). */
  numComments: Map<number, number>;
  stats?: Record<string, Array<[number, number]>>;
}

export function serializeIssue(issue: IssueRow, ctx: IssueContext) {
  const release = (version: string | null) => {
    if (version === null) return null;
    const row = ctx.releases.get(releaseKey(issue.projectId, version));
    return serializeRelease(
      row ?? { projectId: issue.projectId, version, firstSeen: issue.firstSeen, lastSeen: issue.lastSeen },
      issue.project,
    );
  };
  return {
    id: String(issue.id),
    shortId: shortId(issue.project.slug, issue.id),
    title: issue.title,
    culprit: issue.culprit,
    permalink: `${ctx.origin}/issues/${issue.id}/`,
    logger: null,
    level: issue.level,
    status: issue.status,
    statusDetails: statusDetails(issue),
    substatus: sentrySubstatus(issue),
    isPublic: false,
    platform: issue.platform,
    project: serializeProjectRef(issue.project),
    type: issue.type,
    issueType: "error",
    issueCategory: "error",
    priority: priorityOf(issue.level),
    metadata: issue.metadata,
    numComments: ctx.numComments.get(issue.id) ?? 0,
    assignedTo: issue.assignedUserId === null ? null : serializeAssignee(ctx.assignees.get(issue.assignedUserId)),
    isBookmarked: false,
    isSubscribed: false,
    subscriptionDetails: null,
    hasSeen: false,
    shareId: null,
    annotations: [],
    count: String(issue.timesSeen),
    userCount: issue.userCount,
    firstSeen: iso(issue.firstSeen),
    lastSeen: iso(issue.lastSeen),
    firstRelease: release(issue.firstRelease),
    lastRelease: release(issue.lastRelease),
    ...(ctx.stats === undefined ? {} : { stats: ctx.stats }),
  };
}

/**
 * An assignee as Sentry's ActorSerializer writes a user: `{type, id, name, email}`, the name
 * falling back to the email as Sentry's display name does. Null if the user is gone.
 */
export function serializeAssignee(user: AssigneeRow | undefined) {
  if (user === undefined) return null;
  return { type: "user" as const, id: String(user.id), name: user.name ?? user.email, email: user.email };
}

/** `<PROJECT-SLUG>-<id in base 36>`, upper case, like Sentry's short ids (PUMP-STATION-1). */
export function shortId(projectSlug: string, issueId: number): string {
  return `${projectSlug.toUpperCase()}-${issueId.toString(36).toUpperCase()}`;
}

/**
 * Sentry's substatus names (https://docs.sentry.io/product/issues/states-triage/): none for a
 * resolved issue; for an ignored ("archived") one, what ends it.
 */
function sentrySubstatus(issue: IssueRow): string | null {
  if (issue.status === "resolved") return null;
  if (issue.status === "ignored") {
    if (issue.substatus === "forever") return "archived_forever";
    return issue.ignoredUntil !== null || issue.ignoredUntilCount !== null ? "archived_until_condition_met" : "archived_until_escalating";
  }
  return issue.substatus;
}

function statusDetails(issue: IssueRow): Record<string, unknown> {
  if (issue.status === "resolved") {
    if (issue.resolvedInRelease === null) return {};
    return issue.resolvedInNextRelease ? { inNextRelease: true } : { inRelease: issue.resolvedInRelease };
  }
  if (issue.status !== "ignored") return {};
  if (issue.ignoredUntil !== null || issue.ignoredUntilCount !== null) {
    return {
      ignoreCount: issue.ignoredUntilCount,
      ignoreUntil: issue.ignoredUntil === null ? null : iso(issue.ignoredUntil),
      ignoreUserCount: null,
      ignoreUserWindow: null,
      ignoreWindow: null,
      actor: null,
    };
  }
  return issue.substatus === "forever" ? {} : { ignoreUntilEscalating: true };
}

/** Sentry's default priority from the level: errors high, warnings medium, the rest low. */
export function priorityOf(level: string): "high" | "medium" | "low" {
  if (level === "fatal" || level === "error") return "high";
  return level === "warning" ? "medium" : "low";
}

/**
 * A release (https://docs.sentry.io/api/releases/retrieve-an-organizations-releases/): Faultline
 * knows releases from the events that name them, so there are no commits, deploys or authors.
 */
export function serializeRelease(release: ReleaseRow, project: { id: number; slug: string; name: string; platform?: string | null }) {
  return {
    version: release.version,
    shortVersion: shortVersion(release.version),
    ref: null,
    url: null,
    dateCreated: iso(release.firstSeen),
    dateReleased: null,
    firstEvent: iso(release.firstSeen),
    lastEvent: iso(release.lastSeen),
    data: {},
    owner: null,
    commitCount: 0,
    lastCommit: null,
    deployCount: 0,
    lastDeploy: null,
    authors: [],
    projects: [serializeProjectRef(project)],
  };
}

/** Sentry shows `package@1.2.3` as `1.2.3` and a commit hash by its first 12 characters. */
export function shortVersion(version: string): string {
  const at = version.lastIndexOf("@");
  const bare = at > 0 && at < version.length - 1 ? version.slice(at + 1) : version;
  return /^[0-9a-f]{40}$/i.test(bare) ? bare.slice(0, 12) : bare;
}

/**
 * The issue page's tag breakdown, as Sentry's `GET /issues/{id}/tags/`: per key, the number of
 * events tagged and the most frequent values.
 */
const TOP_VALUES = 9;

export function serializeTagSummary(rows: TagValueRow[]) {
  const byKey = new Map<string, TagValueRow[]>();
  for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row]);
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, values]) => ({
      key,
      name: tagKeyLabel(key),
      totalValues: values.reduce((n, v) => n + v.count, 0),
      uniqueValues: values.length,
      topValues: values
        .sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen || (a.value < b.value ? -1 : 1))
        .slice(0, TOP_VALUES)
        .map((v) => ({
          key,
          name: v.value,
          value: v.value,
          count: v.count,
          firstSeen: iso(v.firstSeen),
          lastSeen: iso(v.lastSeen),
        })),
    }));
}

/** One key's values, most frequent first (https://docs.sentry.io/api/events/list-a-tags-values-related-to-an-issue/). */
export function serializeTagValues(rows: TagValueRow[]) {
  return [...rows]
    .sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen || (a.value < b.value ? -1 : 1))
    .map((v) => ({ key: v.key, name: v.value, value: v.value, count: v.count, firstSeen: iso(v.firstSeen), lastSeen: iso(v.lastSeen) }));
}

/** Sentry labels tag keys by title-casing them: server_name → "Server Name". */
function tagKeyLabel(key: string): string {
  return key.replaceAll("_", " ").replace(/(^|[^A-Za-z])([a-z])/g, (_m, before: string, letter: string) => before + letter.toUpperCase());
}
