import { useState } from "preact/hooks";
import { seg, send } from "../api-client";
import type { Project, ProjectStats } from "../api-types";
import { FormError, errorText } from "../components/form-error";
import { PlatformOptions } from "../components/platform-options";
import { Link, navigate } from "../router";
import { platformLabel } from "../sdk-snippets";
import { Sparkline } from "../components/sparkline";
import { useApi } from "../use-api";

export function ProjectsPage({ org }: { org: string }) {
  const projects = useApi<Project[]>(`/api/0/organizations/${seg(org)}/projects/`);
  const stats = useApi<ProjectStats[]>(`/api/0/organizations/${seg(org)}/project-stats/`);
  const byId = new Map((stats.data ?? []).map((s) => [s.id, s]));
  const base = `/organizations/${seg(org)}`;
  return (
    <section aria-labelledby="projects-title">
      <div class="page-head">
        <h1 id="projects-title">Projects</h1>
      </div>
      {projects.error !== null && <FormError error={projects.error} />}
      {projects.data === null && projects.error === null && <p role="status">Loading…</p>}
      {projects.data !== null && projects.data.length === 0 && <p>No projects yet: create the first one below.</p>}
      {projects.data !== null && projects.data.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Events, last 24 h</th>
              <th scope="col" class="num">
                Open issues
              </th>
              <th scope="col">
                <span class="visually-hidden">Links</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {projects.data.map((p) => {
              const s = byId.get(p.id);
              return (
                <tr key={p.id}>
                  <td>
                    <Link href={`${base}/issues?project=${seg(p.id)}`} class="strong">
                      {p.name}
                    </Link>
                    <div class="muted small">
                      {p.slug} · {platformLabel(p.platform)}
                    </div>
                  </td>
                  <td>
                    <Sparkline stats={s?.stats["24h"]} label={`${p.name}, last 24 hours`} />
                  </td>
                  <td class="num">{s === undefined ? "…" : `${s.openIssues}${s.openIssuesCapped ? "+" : ""}`}</td>
                  <td class="actions">
                    <Link href={`${base}/projects/${seg(p.slug)}/getting-started`}>Setup</Link>
                    <Link href={`${base}/projects/${seg(p.slug)}/settings`}>Settings</Link>
                    <Link href={`${base}/projects/${seg(p.slug)}/ingest-problems`}>Ingest problems</Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <CreateProject org={org} />
    </section>
  );
}

function CreateProject({ org }: { org: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const project = await send<Project>("POST", `/api/0/organizations/${seg(org)}/projects/`, {
        name: form.get("name"),
        platform: form.get("platform"),
      });
      navigate(`/organizations/${seg(org)}/projects/${seg(project.slug)}/getting-started`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card inline-form" onSubmit={submit} aria-labelledby="create-project-title">
      <h2 id="create-project-title">Create a project</h2>
      <label>
        Name
        <input name="name" required maxLength={100} placeholder="checkout-service" />
      </label>
      <label>
        Platform
        <select name="platform">
          <PlatformOptions />
        </select>
      </label>
      <button type="submit" class="button primary" disabled={busy}>
        Create project
      </button>
      <FormError error={error} />
    </form>
  );
}
