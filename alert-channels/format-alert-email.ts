import { type AlertContext, type AlertLinks, alertFacts, alertReason } from "./alert-context";
import { truncateText } from "./truncate-text";

const SUBJECT_MAX = 200;

/** An alert as an email: a subject that names the project and issue, and the same body as text and as HTML. */
export function formatAlertEmail(context: AlertContext, links: AlertLinks): { subject: string; text: string; html: string } {
  const { issue, project, rule } = context;
  const reason = alertReason(context);
  const facts = alertFacts(context);
  const subject = truncateText(`[${project.slug}] ${issue.shortId}: ${issue.title}`, SUBJECT_MAX);
  const text = [
    `${reason}.`,
    "",
    issue.title,
    ...(issue.culprit === "" ? [] : [issue.culprit]),
    "",
    ...facts.map((fact) => `${fact.label}: ${fact.value}`),
    "",
    `View the issue: ${links.issueUrl}`,
    "",
    `Sent by the alert rule "${rule.name}" of ${project.name}.`,
    "",
  ].join("\n");
  const rows = facts
    .map(
      (fact) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(fact.label)}</th><td>${escapeHtml(fact.value)}</td></tr>`,
    )
    .join("");
  const html = `<!doctype html>
<html><body style="font-family:system-ui,sans-serif;font-size:14px;color:#1d1d1f">
<p style="color:#b42318;font-weight:600">${escapeHtml(reason)}</p>
<h2 style="margin:0 0 4px">${escapeHtml(issue.title)}</h2>
${issue.culprit === "" ? "" : `<p style="margin:0 0 12px;font-family:monospace;color:#555">${escapeHtml(issue.culprit)}</p>`}
<table style="border-collapse:collapse;margin:0 0 16px">${rows}</table>
<p><a href="${escapeHtml(links.issueUrl)}" style="background:#6c5fc7;color:#fff;padding:8px 14px;border-radius:4px;text-decoration:none">View issue ${escapeHtml(issue.shortId)}</a></p>
<p style="color:#777;font-size:12px">Sent by the alert rule &ldquo;${escapeHtml(rule.name)}&rdquo; of ${escapeHtml(project.name)}.</p>
</body></html>
`;
  return { subject, text, html };
}

export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}
