import { iso } from "../projects/serialize-project";
import type { ActivityRow, ActivityUser } from "./issue-activity-queries";

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
