/**
 * The Worker's minute job for assignment emails: the dashboard writes one to send with each
 * assignment (dashboard/api/issues/assignment-emails.ts), the digest one when an assigned issue
 * regresses (items/error/error-statements.ts), and this sends them through the
 * send_email binding, as email alert targets are sent. One is skipped, not sent, when the
 * member turned these emails off, left the organization, or the issue went to someone else (or
 * away) in the meantime. A send that fails is tried again with backoff, five times in all.
 */
import { issueShortId } from "../../alert-channels/alert-context";
import { composeMimeMessage } from "../../alert-channels/compose-mime-message";
import { formatAssignmentEmail } from "../../alert-channels/format-assignment-email";

export interface AssignmentEmailDeps {
  sendEmail: ((from: string, to: string, raw: string) => Promise<void>) | undefined;
  emailFrom: string;
  dashboardUrl: string;
}

/** Emails one run sends at most; the rest wait a minute. Each is a few D1 calls and a send. */
const PER_RUN = 20;
const MAX_ATTEMPTS = 5;
/** A claimed email is not claimed again for this long: a run that died mid-send is retried after it. */
const LEASE_MS = 5 * 60_000;

interface DueRow {
  id: number;
  kind: "assigned" | "regressed";
  issue_id: number;
  user_id: number;
  email: string;
  wants: number;
  is_member: number | null;
  title: string | null;
  culprit: string | null;
  assigned_user_id: number | null;
  project_slug: string | null;
  project_name: string | null;
  org_slug: string | null;
  by_name: string | null;
  by_email: string | null;
}

export async function sendAssignmentEmails(
  d1: D1Database,
  deps: AssignmentEmailDeps,
  now: number,
): Promise<{ sent: number; skipped: number; failed: number }> {
  // assignment_notifications_due
  const { results } = await d1
    .prepare(
      `SELECT n.id, n.kind, n.issue_id, n.user_id, u.email, u.assignment_emails AS wants,
         (SELECT 1 FROM memberships m WHERE m.user_id = n.user_id AND m.organization_id = p.organization_id) AS is_member,
         i.title, i.culprit, i.assigned_user_id, p.slug AS project_slug, p.name AS project_name, o.slug AS org_slug,
         b.name AS by_name, b.email AS by_email
       FROM assignment_notifications n
       JOIN users u ON u.id = n.user_id
       LEFT JOIN issues i ON i.id = n.issue_id
       LEFT JOIN projects p ON p.id = i.project_id
       LEFT JOIN organizations o ON o.id = p.organization_id
       LEFT JOIN users b ON b.id = n.assigned_by
       WHERE n.status = 'pending' AND n.next_attempt_at <= ?1
       ORDER BY n.next_attempt_at, n.id
       LIMIT ${PER_RUN}`,
    )
    .bind(now)
    .all<DueRow>();
  const counts = { sent: 0, skipped: 0, failed: 0 };
  for (const row of results) {
    const skip = skipReason(row);
    if (skip !== null) {
      await d1
        .prepare("UPDATE assignment_notifications SET status = 'skipped', last_error = ?2 WHERE id = ?1 AND status = 'pending'")
        .bind(row.id, skip)
        .run();
      counts.skipped += 1;
      continue;
    }
    // Claimed by one run only: a run that overlaps this one finds it leased.
    const claimed = await d1
      .prepare(
        `UPDATE assignment_notifications SET attempts = attempts + 1, next_attempt_at = ?3
         WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 RETURNING attempts`,
      )
      .bind(row.id, now, now + LEASE_MS)
      .first<{ attempts: number }>();
    if (claimed === null) continue;
    const error = await send(row, deps, now).then(
      () => null,
      (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300),
    );
    if (error === null) {
      await d1
        .prepare("UPDATE assignment_notifications SET status = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1")
        .bind(row.id, now)
        .run();
      counts.sent += 1;
    } else {
      const last = claimed.attempts >= MAX_ATTEMPTS || deps.sendEmail === undefined;
      await d1
        .prepare("UPDATE assignment_notifications SET status = ?2, next_attempt_at = ?3, last_error = ?4 WHERE id = ?1")
        .bind(row.id, last ? "failed" : "pending", now + 2 ** claimed.attempts * 60_000, error)
        .run();
      if (last) counts.failed += 1;
    }
  }
  return counts;
}

function skipReason(row: DueRow): string | null {
  if (row.title === null || row.project_slug === null) return "the issue was deleted";
  if (row.assigned_user_id !== row.user_id) return "the issue is no longer assigned to them";
  if (row.is_member === null) return "no longer a member of the organization";
  if (!row.wants) return "they turned assignment emails off";
  return null;
}

async function send(row: DueRow, deps: AssignmentEmailDeps, now: number): Promise<void> {
  if (deps.sendEmail === undefined) throw new Error("no send_email binding (EMAIL) is configured");
  const origin = deps.dashboardUrl.replace(/\/+$/, "");
  const { subject, text, html } = formatAssignmentEmail({
    kind: row.kind,
    shortId: issueShortId(row.project_slug!, row.issue_id),
    title: row.title!,
    culprit: row.culprit ?? "",
    projectName: row.project_name ?? row.project_slug!,
    assignedBy: row.by_name ?? row.by_email,
    issueUrl: `${origin}/issues/${row.issue_id}/`,
    settingsUrl: `${origin}/organizations/${encodeURIComponent(row.org_slug ?? "")}/settings`,
  });
  const domain = deps.emailFrom.split("@")[1] ?? "localhost";
  const raw = composeMimeMessage({
    from: { name: "Faultline", address: deps.emailFrom },
    to: row.email,
    subject,
    text,
    html,
    date: new Date(now),
    messageId: `${crypto.randomUUID()}@${domain}`,
  });
  await deps.sendEmail(deps.emailFrom, row.email, raw);
}
