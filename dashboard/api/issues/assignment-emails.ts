import type { DrizzleD1Database } from "drizzle-orm/d1";
import { assignmentNotifications } from "../../../db/schema";
import type { AssigneeRow } from "./issue-queries";
import type { IssueBefore } from "./issue-update-activity";

/**
 * The emails an assignment sends: one to the new assignee for each issue that was not theirs
 * already, unless they assigned it to themselves (Sentry tells people what others did). They
 * are written with the assignment, and the Worker's minute job sends them through the
 * send_email binding (queue-consumer/alerts/send-assignment-emails.ts), which the dashboard lacks.
 * Whether the member wants them is asked when sending, so turning them off stops queued ones too.
 */
export function issuesToNotify(assignee: AssigneeRow | null | undefined, issues: readonly IssueBefore[], by: number | null): number[] {
  if (assignee === undefined || assignee === null || assignee.id === by) return [];
  return issues.filter((issue) => issue.assignedUserId !== assignee.id).map((issue) => issue.id);
}

// Five bound values a row: twenty rows stay under D1's 100 per statement.
const ROWS_PER_INSERT = 20;

export function insertAssignmentEmailsQueries(
  db: DrizzleD1Database,
  issueIds: readonly number[],
  assigneeId: number,
  by: number | null,
  now: number,
) {
  const rows = issueIds.map((issueId) => ({ issueId, userId: assigneeId, assignedBy: by, nextAttemptAt: now, createdAt: now }));
  const queries = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    queries.push(db.insert(assignmentNotifications).values(rows.slice(i, i + ROWS_PER_INSERT)));
  return queries;
}
