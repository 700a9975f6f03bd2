/**
 * User feedback as the API reads it: a project's, newest first, and an issue's. A feedback's
 * issue is found through `events` on (project, event_id) (its unique index), so a report that
 * came before its event is tied once the event lands, and follows it through a merge.
 */
import type { Cursor } from "../cursor-pagination";

export interface FeedbackRow {
  id: number;
  project_id: number;
  feedback_id: string;
  event_id: string | null;
  name: string;
  email: string;
  message: string;
  url: string | null;
  environment: string | null;
  release: string | null;
  source: string;
  date_created: number;
  issue_id: number | null;
  issue_title: string | null;
  /** Ids of the stored_items attachments sent with a feedback event (its screenshots), comma-separated. */
  attachment_ids: string | null;
}

const COLUMNS = `f.id, f.project_id, f.feedback_id, f.event_id, f.name, f.email, f.message, f.url, f.environment, f.release,
  f.source, f.date_created, i.id AS issue_id, i.title AS issue_title,
  CASE WHEN f.source = 'feedback' THEN (SELECT group_concat(s.id) FROM stored_items s
    WHERE s.project_id = f.project_id AND s.event_id = f.feedback_id AND s.item_type = 'attachment') END AS attachment_ids`;
const JOINS = `LEFT JOIN events e ON e.project_id = f.project_id AND e.event_id = f.event_id
  LEFT JOIN issues i ON i.id = e.issue_id`;

/** A page of the project's feedback (user_feedback_by_project), limit + 1 rows for keysetPage. */
export async function listProjectFeedback(d1: D1Database, projectId: number, cursor: Cursor | null, limit: number): Promise<FeedbackRow[]> {
  const back = cursor?.previous === true;
  const after = cursor === null ? "" : back ? "AND (f.date_created, f.id) > (?2, ?3)" : "AND (f.date_created, f.id) < (?2, ?3)";
  const order = back ? "ASC" : "DESC";
  const { results } = await d1
    .prepare(
      `SELECT ${COLUMNS} FROM user_feedback f ${JOINS}
       WHERE f.project_id = ?1 ${after} ORDER BY f.date_created ${order}, f.id ${order} LIMIT ?4`,
    )
    .bind(projectId, cursor?.value ?? 0, cursor?.id ?? 0, limit + 1)
    .all<FeedbackRow>();
  return results;
}

/**
 * The issue's feedback, newest first: the project's feedback that names an event, joined to the
 * issue's events. Feedback is rare next to events, so it is read from the feedback side.
 */
export async function listIssueFeedback(d1: D1Database, projectId: number, issueId: number, limit: number): Promise<FeedbackRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT ${COLUMNS} FROM user_feedback f ${JOINS}
       WHERE f.project_id = ?1 AND f.event_id IS NOT NULL AND e.issue_id = ?2
       ORDER BY f.date_created DESC, f.id DESC LIMIT ?3`,
    )
    .bind(projectId, issueId, limit)
    .all<FeedbackRow>();
  return results;
}

export async function findFeedback(d1: D1Database, projectId: number, feedbackId: string): Promise<FeedbackRow | null> {
  return d1
    .prepare(`SELECT ${COLUMNS} FROM user_feedback f ${JOINS} WHERE f.project_id = ?1 AND f.feedback_id = ?2`)
    .bind(projectId, feedbackId)
    .first<FeedbackRow>();
}

export interface NewReport {
  projectId: number;
  eventId: string;
  name: string;
  email: string;
  comments: string;
  now: number;
}

/** How long a report stays open to a new POST for its event (Sentry's: later ones conflict). */
export const REPORT_EDIT_WINDOW_MS = 5 * 60_000;

/**
 * The API's POST, as Sentry saves a user report: a new row for the event, or the event's report
 * edited when it is younger than REPORT_EDIT_WINDOW_MS. Answers false when an older one exists.
 */
export async function saveReport(d1: D1Database, report: NewReport): Promise<boolean> {
  const row = await d1
    .prepare(
      `INSERT INTO user_feedback (project_id, feedback_id, event_id, name, email, message, source, date_created, ingest_batch)
       VALUES (?1, ?2, ?2, ?3, ?4, ?5, 'api', ?6, 'api')
       ON CONFLICT (project_id, feedback_id) DO UPDATE SET name = excluded.name, email = excluded.email, message = excluded.message
       WHERE user_feedback.date_created > ?6 - ?7
       RETURNING id`,
    )
    .bind(report.projectId, report.eventId, report.name, report.email, report.comments, report.now, REPORT_EDIT_WINDOW_MS)
    .first<{ id: number }>();
  return row !== null;
}
