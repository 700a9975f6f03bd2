import { iso } from "../projects/serialize-project";
import type { ActivityRow, ActivityUser } from "./issue-activity-queries";
import { priorityOf } from "./serialize-issue";

/** How many activities Sentry's trail shows (Activity.objects.get_activities_for_group(num=100)). */
export const TRAIL_LENGTH = 100;

/**
 * An issue's trail as Sentry answers it: its newest activities, then `first_seen`, which is not
 * stored but made from the issue (id "0", no user, the priority it started with), the list cut
 * at TRAIL_LENGTH like Sentry's.
 */
export function serializeTrail(rows: readonly ActivityRow[], issue: { firstSeen: number; level: string }) {
  const firstSeen = {
    id: "0",
    user: null,
    type: "first_seen",
    data: { priority: priorityOf(issue.level) },
    dateCreated: iso(issue.firstSeen),
  };
  return [...rows.map(serializeActivity), firstSeen].slice(0, TRAIL_LENGTH);
}

/**
 * An issue's activity and comments as Sentry's ActivitySerializer writes them:
 * `{id, user, type, data, dateCreated}`, a comment being type `note` with data `{text}`.
 */
export function serializeActivity(row: ActivityRow) {
  return {
    id: String(row.id),
    user: row.user === null ? null : serializeUser(row.user),
    type: row.type,
    data: row.data,
    dateCreated: iso(row.createdAt),
  };
}

/** A person as the activity shows them: Faultline's username is the email they log in with. */
export function serializeUser(user: ActivityUser) {
  return { id: String(user.id), name: user.name ?? user.email, username: user.email, email: user.email };
}
