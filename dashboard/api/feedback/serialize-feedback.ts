/**
 * User feedback in Sentry's UserReport shape (https://docs.sentry.io/api/projects/list-a-projects-user-feedback/):
 * `{id, eventID, name, email, comments, dateCreated, user, event, issue}`, the issue when its
 * event has landed. Faultline adds the page URL and the ids of a feedback's screenshots.
 */
import { shortId } from "../issues/serialize-issue";
import type { FeedbackRow } from "./feedback-queries";

export function serializeFeedback(row: FeedbackRow, projectSlug: string) {
  return {
    id: String(row.id),
    eventID: row.event_id ?? row.feedback_id,
    feedbackID: row.feedback_id,
    name: row.name,
    email: row.email,
    comments: row.message,
    dateCreated: new Date(row.date_created).toISOString(),
    user: null,
    event: { id: row.event_id ?? row.feedback_id, eventID: row.event_id ?? row.feedback_id },
    issue:
      row.issue_id === null
        ? null
        : { id: String(row.issue_id), shortId: shortId(projectSlug, row.issue_id), title: row.issue_title ?? "" },
    url: row.url,
    environment: row.environment,
    release: row.release,
    source: row.source,
    attachments: (row.attachment_ids ?? "").split(",").filter((id) => id !== ""),
  };
}
