import { seg } from "../api-client";
import { Link } from "../router";
import { useApi } from "../use-api";
import { RelativeTime } from "./relative-time";

/** One user feedback as the API serializes it (dashboard/api/feedback/serialize-feedback.ts). */
export interface Feedback {
  id: string;
  eventID: string;
  feedbackID: string;
  name: string;
  email: string;
  comments: string;
  dateCreated: string;
  issue: { id: string; shortId: string; title: string } | null;
  url: string | null;
  source: string;
  attachments: string[];
}

const SOURCE_TEXT: Record<string, string> = {
  feedback: "feedback widget or captureFeedback",
  user_report: "crash-report dialog or user report",
  api: "API",
};

/**
 * Feedback, as users wrote it: who, when, what, from which page, about which issue, with its
 * screenshots. Every field is text the user typed or the SDK sent, so it is rendered as text.
 */
export function FeedbackList({
  feedback,
  org,
  project,
  showIssue,
}: {
  feedback: Feedback[];
  org: string | null;
  project: string;
  showIssue: boolean;
}) {
  return (
    <ol class="feedback-list">
      {feedback.map((f) => (
        <li key={f.id} class="feedback-item">
          <div class="feedback-head">
            <strong>{f.name || "Anonymous"}</strong>
            {f.email && <span class="muted"> &lt;{f.email}&gt;</span>}
            <span class="muted small">
              {" "}
              · <RelativeTime iso={f.dateCreated} /> · via {SOURCE_TEXT[f.source] ?? f.source}
            </span>
          </div>
          <p class="feedback-message">{f.comments}</p>
          {f.url && (
            <div class="muted small">
              on <span class="feedback-url">{f.url}</span>
            </div>
          )}
          {showIssue && (
            <div class="small">
              {f.issue === null ? (
                <span class="muted">Not tied to an issue</span>
              ) : org === null ? (
                <span>
                  {f.issue.shortId}: {f.issue.title}
                </span>
              ) : (
                <Link href={`/organizations/${seg(org)}/issues/${seg(f.issue.id)}`}>
                  {f.issue.shortId}: {f.issue.title}
                </Link>
              )}
            </div>
          )}
          {org !== null && f.attachments.length > 0 && (
            <div class="feedback-screenshots">
              {f.attachments.map((id) => {
                const src = `/api/0/projects/${seg(org)}/${seg(project)}/events/${seg(f.feedbackID)}/attachments/${seg(id)}/`;
                return (
                  <a key={id} href={src} target="_blank" rel="noopener">
                    <img src={src} alt={`Screenshot sent with ${f.name || "the"} feedback`} loading="lazy" />
                  </a>
                );
              })}
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The issue page's share: what users said about this issue's events, shown only when there is some. */
export function IssueFeedback({ issueId, org, project }: { issueId: string; org: string | null; project: string }) {
  const path =
    org === null ? `/api/0/issues/${seg(issueId)}/user-reports/` : `/api/0/organizations/${seg(org)}/issues/${seg(issueId)}/user-reports/`;
  const list = useApi<Feedback[]>(path);
  if (list.data === null || list.data.length === 0) return null;
  return (
    <section class="card" aria-labelledby="issue-feedback-title">
      <h2 id="issue-feedback-title">User feedback ({list.data.length})</h2>
      <FeedbackList feedback={list.data} org={org} project={project} showIssue={false} />
    </section>
  );
}
