import type { AssigneeRow } from "./issue-queries";
import type { ActivityType, NewActivity } from "./issue-activity-queries";
import type { StatusChange } from "./issue-status-update";
import type { IssueStatus } from "./parse-issue-search";

/**
 * The activity a PUT leaves on each issue it changes, with Sentry's types and data
 * (src/sentry/api/helpers/group_index/update.py, models/groupassignee.py): set_resolved,
 * set_resolved_in_release `{version}`, set_unresolved, set_ignored with the condition it ends
 * on, assigned `{assignee, assigneeEmail, assigneeType}` and unassigned. A status is recorded
 * when it changes, or when the same status comes with a condition (a release, a count, a date),
 * which may be a new one; an assignee when it changes.
 */
export interface IssueBefore {
  id: number;
  status: IssueStatus;
  assignedUserId: number | null;
}

export interface UpdateAsked {
  change: StatusChange | null;
  /** The release a resolve is in, as looked up for it. */
  release: string | null;
  /** The member to assign, null for nobody; undefined when not asked. */
  assignee: AssigneeRow | null | undefined;
}

export function issueUpdateActivities(
  asked: UpdateAsked,
  issues: readonly IssueBefore[],
  by: { projectId: number; userId: number | null; now: number },
): NewActivity[] {
  const out: NewActivity[] = [];
  const add = (issueId: number, type: ActivityType, data: Record<string, unknown>) =>
    out.push({ issueId, projectId: by.projectId, type, userId: by.userId, data, createdAt: by.now });
  const status = asked.change === null ? null : statusActivity(asked.change, asked.release);
  for (const issue of issues) {
    if (status !== null && (issue.status !== asked.change!.status || status.conditional)) add(issue.id, status.type, status.data);
    if (asked.assignee === undefined || (asked.assignee?.id ?? null) === issue.assignedUserId) continue;
    if (asked.assignee === null) add(issue.id, "unassigned", {});
    else add(issue.id, "assigned", { assignee: String(asked.assignee.id), assigneeEmail: asked.assignee.email, assigneeType: "user" });
  }
  return out;
}

function statusActivity(
  change: StatusChange,
  release: string | null,
): { type: ActivityType; data: Record<string, unknown>; conditional: boolean } {
  if (change.status === "unresolved") return { type: "set_unresolved", data: {}, conditional: false };
  if (change.status === "resolved") {
    if (change.release.kind === "none" || release === null) return { type: "set_resolved", data: {}, conditional: false };
    // Resolved in the next release: Sentry's version is still unknown (""), after the current one.
    const data = change.release.kind === "next" ? { version: "", current_release_version: release } : { version: release };
    return { type: "set_resolved_in_release", data, conditional: true };
  }
  const data: Record<string, unknown> = {};
  if (change.untilCount !== null) data.ignoreCount = change.untilCount;
  if (change.until !== null) data.ignoreUntil = new Date(change.until).toISOString();
  if (change.untilEscalating) data.ignoreUntilEscalating = true;
  return { type: "set_ignored", data, conditional: Object.keys(data).length > 0 };
}
