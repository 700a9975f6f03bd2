import { useEffect, useRef, useState } from "preact/hooks";
import { seg, send } from "../api-client";
import type { Issue, Project } from "../api-types";
import { FormError, errorText } from "../components/form-error";
import { IgnoreMenu } from "../components/ignore-menu";
import { LevelBadge, StatusBadge } from "../components/issue-badges";
import { RelativeTime } from "../components/relative-time";
import { Link, navigate, useLocation, withQuery } from "../router";
import { Sparkline } from "../components/sparkline";
import { useApi } from "../use-api";
import "../issue-workflow.css";

const SORTS = [
  { id: "date", label: "Last seen" },
  { id: "new", label: "First seen" },
  { id: "freq", label: "Events" },
  { id: "user", label: "Users" },
] as const;

const DEFAULT_QUERY = "is:unresolved";
const PAGE_SIZE = 25;
// Sentry's "Assigned to me": the search term, added to or taken from the query.
const ASSIGNED_TO_ME = /(^|\s)assigned:me(?=\s|$)/gi;

/**
 * The issue stream. Everything that picks what is shown (project, search, sort, chart period,
 * page) is in the URL, so a view can be bookmarked, shared and gone back to.
 */
export function IssueStreamPage({ org }: { org: string }) {
  const loc = useLocation();
  const project = loc.query.get("project") ?? "";
  const query = loc.query.get("query") ?? DEFAULT_QUERY;
  const sort = SORTS.some((s) => s.id === loc.query.get("sort")) ? loc.query.get("sort")! : "date";
  const period = loc.query.get("statsPeriod") === "14d" ? "14d" : "24h";
  const cursor = loc.query.get("cursor");

  const projects = useApi<Project[]>(`/api/0/organizations/${seg(org)}/projects/`);
  const params = new URLSearchParams({ query, sort, groupStatsPeriod: period, limit: String(PAGE_SIZE) });
  if (project !== "") params.set("project", project);
  if (cursor !== null) params.set("cursor", cursor);
  const issues = useApi<Issue[]>(`/api/0/organizations/${seg(org)}/issues/?${params}`);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => setSelected(new Set()), [issues.data]);

  // "/" jumps to the search box, as in Sentry.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      if (target !== null && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
      e.preventDefault();
      search.current?.focus();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  const go = (changes: Record<string, string | null>) => navigate(withQuery(loc, { cursor: null, ...changes }));
  const assignedToMe = query.match(ASSIGNED_TO_ME) !== null;
  const toggleAssignedToMe = () =>
    go({ query: assignedToMe ? query.replace(ASSIGNED_TO_ME, " ").replace(/\s+/g, " ").trim() : `${query} assigned:me`.trim() });
  const onSearch = (e: Event) => {
    e.preventDefault();
    go({ query: String(new FormData(e.currentTarget as HTMLFormElement).get("query") ?? "") });
  };

  const rows = issues.data ?? [];
  const allSelected = rows.length > 0 && rows.every((i) => selected.has(i.id));
  // Sentry merges issues of one project: two or more of them, selected.
  const selectedProjects = new Set(rows.filter((i) => selected.has(i.id)).map((i) => i.project.id));
  const mergeable = selected.size >= 2 && selectedProjects.size === 1;
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  /** One bulk request per project: Sentry's bulk endpoint is per project. */
  const bulk = async (body: unknown) => {
    setBusy(true);
    setActionError(null);
    const byProject = new Map<string, string[]>();
    for (const issue of rows)
      if (selected.has(issue.id)) byProject.set(issue.project.slug, [...(byProject.get(issue.project.slug) ?? []), issue.id]);
    try {
      for (const [slug, ids] of byProject) {
        await send("PUT", `/api/0/projects/${seg(org)}/${seg(slug)}/issues/?${ids.map((id) => `id=${seg(id)}`).join("&")}`, body);
      }
      issues.reload();
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="stream-title">
      <div class="page-head">
        <h1 id="stream-title">Issues</h1>
      </div>
      <div class="stream-controls">
        <label>
          <span class="visually-hidden">Project</span>
          <select value={project} onChange={(e) => go({ project: e.currentTarget.value })} aria-label="Project">
            <option value="">All projects</option>
            {projects.data?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <form role="search" class="search" onSubmit={onSearch}>
          <label class="grow">
            <span class="visually-hidden">Search issues</span>
            <input
              ref={search}
              name="query"
              type="search"
              key={query}
              defaultValue={query}
              placeholder="is:unresolved level:error release:1.2.0 environment:production text"
              aria-describedby="search-help"
              spellcheck={false}
              autoComplete="off"
            />
          </label>
          <button type="submit" class="button">
            Search
          </button>
        </form>
        <label>
          <span class="visually-hidden">Sort by</span>
          <select value={sort} onChange={(e) => go({ sort: e.currentTarget.value })} aria-label="Sort by">
            {SORTS.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="button" aria-pressed={assignedToMe} onClick={toggleAssignedToMe}>
          Assigned to me
        </button>
        <div role="group" aria-label="Chart period" class="segmented">
          {(["24h", "14d"] as const).map((p) => (
            <button
              key={p}
              type="button"
              class="button small"
              aria-pressed={period === p}
              onClick={() => navigate(withQuery(loc, { statsPeriod: p === "24h" ? null : p }))}
            >
              {p}
            </button>
          ))}
        </div>
      </div>
      <p id="search-help" class="muted small">
        Filters: <code>is:unresolved</code> <code>is:resolved</code> <code>is:ignored</code> <code>is:assigned</code>{" "}
        <code>assigned:me</code> <code>level:error</code> <code>release:…</code> <code>environment:…</code>, any <code>tag:value</code>, and
        free text. Press <kbd>/</kbd> to search.
      </p>

      <div class="bulk-bar" role="toolbar" aria-label="Selected issues">
        <label class="check">
          <input
            type="checkbox"
            checked={allSelected}
            disabled={rows.length === 0}
            onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((i) => i.id)))}
          />
          <span>{selected.size === 0 ? "Select all" : `${selected.size} selected`}</span>
        </label>
        <button type="button" class="button small" disabled={selected.size === 0 || busy} onClick={() => bulk({ status: "resolved" })}>
          Resolve
        </button>
        <button type="button" class="button small" disabled={selected.size === 0 || busy} onClick={() => bulk({ status: "ignored" })}>
          Ignore
        </button>
        <IgnoreMenu disabled={selected.size === 0 || busy} onIgnore={(statusDetails) => bulk({ status: "ignored", statusDetails })} />
        <button type="button" class="button small" disabled={selected.size === 0 || busy} onClick={() => bulk({ status: "unresolved" })}>
          Unresolve
        </button>
        <button
          type="button"
          class="button small"
          disabled={!mergeable || busy}
          title={mergeable ? undefined : "Select two issues or more of one project"}
          onClick={() => {
            if (confirm(`Merge ${selected.size} issues into the one seen most? Their events, comments and fingerprints go to it.`))
              void bulk({ merge: 1 });
          }}
        >
          Merge
        </button>
      </div>
      <FormError error={actionError ?? issues.error} />

      <table class="list issues" aria-busy={issues.loading}>
        <thead>
          <tr>
            <th scope="col">
              <span class="visually-hidden">Select</span>
            </th>
            <th scope="col">Issue</th>
            <th scope="col">{period === "24h" ? "Last 24 h" : "Last 14 d"}</th>
            <th scope="col" class="num">
              Events
            </th>
            <th scope="col" class="num">
              Users
            </th>
            <th scope="col">Seen</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((issue) => (
            <tr key={issue.id} class={selected.has(issue.id) ? "selected" : ""}>
              <td>
                <input
                  type="checkbox"
                  checked={selected.has(issue.id)}
                  onChange={() => toggle(issue.id)}
                  aria-label={`Select ${issue.shortId}`}
                />
              </td>
              <td class="issue-cell">
                <Link href={`/organizations/${seg(org)}/issues/${seg(issue.id)}`} class="issue-title">
                  {issue.title}
                </Link>
                <div class="issue-meta">
                  <LevelBadge level={issue.level} />
                  <span class="muted">{issue.shortId}</span>
                  {issue.culprit !== "" && <span class="culprit">{issue.culprit}</span>}
                  <StatusBadge issue={issue} />
                  {issue.assignedTo !== null && <span class="assigned-to">assigned to {issue.assignedTo.name}</span>}
                </div>
              </td>
              <td>
                <Sparkline stats={issue.stats?.[period]} label={`${issue.shortId}, ${period}`} />
              </td>
              <td class="num">{issue.count}</td>
              <td class="num">{issue.userCount}</td>
              <td class="seen">
                <RelativeTime iso={issue.lastSeen} />
                <div class="muted small">
                  first <RelativeTime iso={issue.firstSeen} />
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!issues.loading && rows.length === 0 && issues.error === null && <p class="empty">No issues match this search.</p>}
      {issues.loading && <p role="status">Loading…</p>}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          class="button small"
          disabled={!issues.links.previous?.results}
          onClick={() => navigate(withQuery(loc, { cursor: issues.links.previous!.cursor }))}
        >
          Previous
        </button>
        <button
          type="button"
          class="button small"
          disabled={!issues.links.next?.results}
          onClick={() => navigate(withQuery(loc, { cursor: issues.links.next!.cursor }))}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
