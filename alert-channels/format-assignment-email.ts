import { escapeHtml } from "./format-alert-email";
import { truncateText } from "./truncate-text";

const SUBJECT_MAX = 200;

export interface AssignmentFacts {
  /** Assigned to the member, or an issue of theirs regressed (Sentry emails assignees of both). */
  kind?: "assigned" | "regressed";
  shortId: string;
  title: string;
  culprit: string;
  projectName: string;
  /** Who assigned it: their name or email; null for an API token that belongs to nobody. */
  assignedBy: string | null;
  issueUrl: string;
  /** Where the member turns these emails off. */
  settingsUrl: string;
}

/** "An issue was assigned to you" as an email: a subject naming the issue, the body as text and as HTML. */
export function formatAssignmentEmail(facts: AssignmentFacts): { subject: string; text: string; html: string } {
  const who = facts.assignedBy ?? "An API token";
  const regressed = facts.kind === "regressed";
  const subject = truncateText(
    regressed ? `${facts.shortId} regressed: ${facts.title}` : `${facts.shortId} was assigned to you: ${facts.title}`,
    SUBJECT_MAX,
  );
  const lead = regressed
    ? `An issue of ${facts.projectName} assigned to you was resolved and has come back.`
    : `${who} assigned this issue of ${facts.projectName} to you.`;
  const text = [
    lead,
    "",
    facts.title,
    ...(facts.culprit === "" ? [] : [facts.culprit]),
    "",
    `View the issue: ${facts.issueUrl}`,
    "",
    `You get this email because an issue was assigned to you. Turn these emails off: ${facts.settingsUrl}`,
    "",
  ].join("\n");
  const html = `<!doctype html>
<html><body style="font-family:system-ui,sans-serif;font-size:14px;color:#1d1d1f">
<p>${escapeHtml(lead)}</p>
<h2 style="margin:0 0 4px">${escapeHtml(facts.title)}</h2>
${facts.culprit === "" ? "" : `<p style="margin:0 0 12px;font-family:monospace;color:#555">${escapeHtml(facts.culprit)}</p>`}
<p><a href="${escapeHtml(facts.issueUrl)}" style="background:#6c5fc7;color:#fff;padding:8px 14px;border-radius:4px;text-decoration:none">View issue ${escapeHtml(facts.shortId)}</a></p>
<p style="color:#777;font-size:12px">You get this email because an issue was assigned to you. <a href="${escapeHtml(facts.settingsUrl)}">Turn these emails off</a>.</p>
</body></html>
`;
  return { subject, text, html };
}
