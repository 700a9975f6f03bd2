import { seg } from "../api-client";
import type { Project } from "../api-types";
import { type Feedback, FeedbackList } from "../components/feedback-list";
import { FormError } from "../components/form-error";
import { Link, navigate, useLocation } from "../router";
import { useApi } from "../use-api";

/**
 * User feedback of one of the organization's projects (`?project=<slug>`, the first by default),
 * newest first, each with the issue it is about and its screenshots; older pages through the
 * API's cursor.
 */
export function FeedbackPage({ org }: { org: string }) {
  const loc = useLocation();
  const projects = useApi<Project[]>(`/api/0/organizations/${seg(org)}/projects/`);
  const project = loc.query.get("project") ?? projects.data?.[0]?.slug ?? null;
  const cursor = loc.query.get("cursor");
  const path =
    project === null
      ? null
      : `/api/0/projects/${seg(org)}/${seg(project)}/user-feedback/?per_page=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const list = useApi<Feedback[]>(path);
  const pageHref = (next: string | null) =>
    next === null ? null : `/organizations/${seg(org)}/feedback?${new URLSearchParams({ project: project ?? "", cursor: next })}`;
  const older = pageHref(list.links.next?.results ? list.links.next.cursor : null);
  const newer = pageHref(cursor && list.links.previous?.results ? list.links.previous.cursor : null);

  return (
    <section aria-labelledby="feedback-title">
      <div class="page-head">
        <h1 id="feedback-title">User feedback</h1>
        <label>
          <span class="visually-hidden">Project</span>
          <select
            aria-label="Project"
            value={project ?? ""}
            onChange={(e) => navigate(`/organizations/${seg(org)}/feedback?${new URLSearchParams({ project: e.currentTarget.value })}`)}
          >
            {projects.data?.map((p) => (
              <option key={p.id} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="muted">
        What users told you: from the SDKs' feedback widget and <code>captureFeedback</code>, the crash-report dialog (
        <code>Sentry.showReportDialog()</code>) and the API.
      </p>
      <FormError error={projects.error ?? list.error} />
      {list.data === null && list.error === null && <p role="status">Loading…</p>}
      {list.data !== null && list.data.length === 0 && <p>No feedback yet.</p>}
      {list.data !== null && list.data.length > 0 && project !== null && (
        <FeedbackList feedback={list.data} org={org} project={project} showIssue={true} />
      )}
      {(older !== null || newer !== null) && (
        <nav aria-label="Pages" class="button-row">
          {newer !== null && (
            <Link class="button small" href={newer}>
              Newer
            </Link>
          )}
          {older !== null && (
            <Link class="button small" href={older}>
              Older
            </Link>
          )}
        </nav>
      )}
    </section>
  );
}
