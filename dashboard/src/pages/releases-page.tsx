import { useMemo } from "preact/hooks";
import { seg } from "../api-client";
import type { Issue, Project } from "../api-types";
import { Value } from "../components/event-value";
import { FormError } from "../components/form-error";
import { PerformanceChart } from "../components/performance-chart";
import { LevelBadge } from "../components/issue-badges";
import { RelativeTime } from "../components/relative-time";
import { formatPercent } from "../performance-format";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useApi } from "../use-api";

/** The release shapes of the API (dashboard/api/releases/serialize-release.ts, Sentry's). */
interface Deploy {
  id: string;
  environment: string;
  name: string | null;
  url: string | null;
  dateStarted: string | null;
  dateFinished: string | null;
}

interface Commit {
  id: string;
  message: string | null;
  dateCreated: string | null;
  author: { name: string | null; email: string | null } | null;
  repository: { name: string } | null;
  previousCommit: string | null;
}

interface Release {
  id: number;
  version: string;
  status: "open" | "archived";
  ref: string | null;
  url: string | null;
  dateCreated: string;
  dateReleased: string | null;
  firstEvent: string | null;
  lastEvent: string | null;
  newGroups: number;
  commitCount: number;
  deployCount: number;
  lastDeploy: Deploy | null;
  authors: Array<{ name: string | null; email: string | null }>;
  projects: Array<{ id: number; slug: string; name: string; newGroups: number; hasHealthData: boolean; healthData?: HealthData | null }>;
}

/** Sentry's healthData of a release in one project (`?health=1`), percentages as 81.25. */
interface HealthData {
  totalSessions: number;
  sessionsCrashed: number;
  totalUsers: number;
  crashFreeUsers: number | null;
  totalSessions24h: number;
  totalProjectSessions24h: number;
  hasHealthData: boolean;
}

/** The sessions endpoint's answer (dashboard/api/releases/sessions-routes.ts). */
interface SessionStats {
  intervals: string[];
  groups: Array<{
    by: Record<string, string | number>;
    totals: Record<string, number | null>;
    series: Record<string, Array<number | null>>;
  }>;
}

/**
 * A release's health over its projects: sessions add up, so adoption and crash-free sessions are
 * exact; users are distinct per project, so crash-free users is over their sum.
 */
function combinedHealth(r: Release): { adoption: number | null; crashFreeSessions: number | null; crashFreeUsers: number | null } | null {
  const health = r.projects.flatMap((p) => (p.healthData ? [p.healthData] : []));
  if (!health.some((h) => h.hasHealthData)) return null;
  const sum = (f: (h: HealthData) => number) => health.reduce((n, h) => n + f(h), 0);
  const sessions = sum((h) => h.totalSessions);
  const users = sum((h) => h.totalUsers);
  const crashedUsers = sum((h) => (h.crashFreeUsers === null ? 0 : h.totalUsers * (1 - h.crashFreeUsers / 100)));
  const project24h = sum((h) => h.totalProjectSessions24h);
  return {
    adoption: project24h === 0 ? null : sum((h) => h.totalSessions24h) / project24h,
    crashFreeSessions: sessions === 0 ? null : 1 - sum((h) => h.sessionsCrashed) / sessions,
    crashFreeUsers: users === 0 ? null : 1 - Math.round(crashedUsers) / users,
  };
}

function HealthCell({ value }: { value: number | null | undefined }) {
  return <td class="num">{value === null || value === undefined ? <span class="muted">—</span> : formatPercent(value)}</td>;
}

const PAGE_SIZE = 25;

export function releaseHref(org: string, version: string): string {
  return `/organizations/${seg(org)}/releases/${seg(version)}`;
}

/** The issue search for the issues first seen in a release (the API's `firstRelease:`). */
function firstReleaseQuery(version: string): string {
  return `firstRelease:"${version.replace(/["\\]/g, "\\$&")}"`;
}

function LastDeploy({ deploy }: { deploy: Deploy | null }) {
  if (deploy === null) return <span class="muted">—</span>;
  return (
    <span>
      <span class="tag-value">{deploy.environment}</span> <RelativeTime iso={deploy.dateFinished} />
    </span>
  );
}

/** A link to a URL a client sent, only when it is http(s); any other is shown as text. */
function SafeUrl({ url }: { url: string | null }) {
  if (url === null) return <span class="muted">—</span>;
  return /^https?:\/\//i.test(url) ? (
    <a href={url} rel="noopener noreferrer nofollow" target="_blank">
      {url}
    </a>
  ) : (
    <Value value={url} />
  );
}

/**
 * The organization's releases, newest first: what sentry-cli created and what events named.
 * The search, project and page are in the URL.
 */
export function ReleasesPage({ org }: { org: string }) {
  const loc = useLocation();
  const query = loc.query.get("query") ?? "";
  const project = loc.query.get("project") ?? "";
  const cursor = loc.query.get("cursor");
  const projects = useApi<Project[]>(`/api/0/organizations/${seg(org)}/projects/`);
  const params = new URLSearchParams({ per_page: String(PAGE_SIZE), health: "1" });
  if (query !== "") params.set("query", query);
  if (project !== "") params.set("project", project);
  if (cursor !== null) params.set("cursor", cursor);
  const releases = useApi<Release[]>(`/api/0/organizations/${seg(org)}/releases/?${params}`);
  const go = (changes: Record<string, string | null>) => navigate(withQuery(loc, { cursor: null, ...changes }));
  const rows = releases.data ?? [];

  return (
    <section aria-labelledby="releases-title">
      <div class="page-head">
        <h1 id="releases-title">Releases</h1>
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
        <form
          role="search"
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            go({ query: String(new FormData(e.currentTarget).get("query") ?? "") });
          }}
        >
          <label class="grow">
            <span class="visually-hidden">Search releases</span>
            <input name="query" type="search" key={query} defaultValue={query} placeholder="Part of a version" spellcheck={false} />
          </label>
          <button type="submit" class="button">
            Search
          </button>
        </form>
      </div>
      <p class="muted small">
        Releases come from <code>sentry-cli releases new</code> (and the bundler plugins), and from events that name one.
      </p>
      <FormError error={releases.error} />
      <table class="list releases" aria-busy={releases.loading}>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Projects</th>
            <th scope="col">Created</th>
            <th scope="col">Released</th>
            <th scope="col" class="num" title="Its share of its projects' sessions in the last 24 hours">
              Adoption
            </th>
            <th scope="col" class="num" title="Sessions that did not crash, in the last 24 hours">
              Crash-free sessions
            </th>
            <th scope="col" class="num" title="Users none of whose sessions crashed, in the last 24 hours">
              Crash-free users
            </th>
            <th scope="col" class="num">
              New issues
            </th>
            <th scope="col">Last deploy</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const health = combinedHealth(r);
            return (
              <tr key={r.id}>
                <td>
                  <Link href={releaseHref(org, r.version)} class="release-version">
                    {r.version}
                  </Link>
                  {r.status === "archived" && <span class="muted small"> (archived)</span>}
                </td>
                <td>{r.projects.length === 0 ? <span class="muted">—</span> : r.projects.map((p) => p.slug).join(", ")}</td>
                <td>
                  <RelativeTime iso={r.dateCreated} />
                </td>
                <td>{r.dateReleased === null ? <span class="muted">not finalized</span> : <RelativeTime iso={r.dateReleased} />}</td>
                <HealthCell value={health?.adoption} />
                <HealthCell value={health?.crashFreeSessions} />
                <HealthCell value={health?.crashFreeUsers} />
                <td class="num">{r.newGroups}</td>
                <td>
                  <LastDeploy deploy={r.lastDeploy} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!releases.loading && rows.length === 0 && releases.error === null && (
        <p class="empty">{query === "" ? "No releases yet." : "No release matches this search."}</p>
      )}
      {releases.loading && <p role="status">Loading…</p>}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          class="button small"
          disabled={!releases.links.previous?.results}
          onClick={() => navigate(withQuery(loc, { cursor: releases.links.previous!.cursor }))}
        >
          Previous
        </button>
        <button
          type="button"
          class="button small"
          disabled={!releases.links.next?.results}
          onClick={() => navigate(withQuery(loc, { cursor: releases.links.next!.cursor }))}
        >
          Next
        </button>
      </nav>
    </section>
  );
}

/** One release: when it was made and released, its deploys, its commits, and the issues first seen in it. */
export function ReleasePage({ org, version }: { org: string; version: string }) {
  const base = `/api/0/organizations/${seg(org)}/releases/${seg(version)}`;
  const release = useApi<Release>(`${base}/`);
  const deploys = useApi<Deploy[]>(`${base}/deploys/`);
  const commits = useApi<Commit[]>(`${base}/commits/`);
  const newIssuesQuery = firstReleaseQuery(version);
  const issues = useApi<Issue[]>(
    `/api/0/organizations/${seg(org)}/issues/?${new URLSearchParams({ query: newIssuesQuery, groupStatsPeriod: "", limit: "25" })}`,
  );
  const r = release.data;

  return (
    <section aria-labelledby="release-title">
      <div class="page-head">
        <h1 id="release-title" class="release-version">
          {version}
        </h1>
        <Link href={`/organizations/${seg(org)}/releases`}>All releases</Link>
      </div>
      <FormError error={release.error} />
      {r !== null && (
        <div class="card">
          <dl class="facts">
            <dt>Created</dt>
            <dd>
              <RelativeTime iso={r.dateCreated} />
            </dd>
            <dt>Released</dt>
            <dd>{r.dateReleased === null ? <span class="muted">not finalized</span> : <RelativeTime iso={r.dateReleased} />}</dd>
            <dt>Events</dt>
            <dd>
              {r.firstEvent === null ? (
                <span class="muted">none yet</span>
              ) : (
                <>
                  first <RelativeTime iso={r.firstEvent} />, last <RelativeTime iso={r.lastEvent} />
                </>
              )}
            </dd>
            <dt>Projects</dt>
            <dd>
              {r.projects.length === 0
                ? "—"
                : r.projects.map((p, i) => (
                    <span key={p.id}>
                      {i > 0 && ", "}
                      {p.name} <span class="muted">({p.newGroups} new)</span>
                    </span>
                  ))}
            </dd>
            <dt>Status</dt>
            <dd>{r.status}</dd>
            {r.ref !== null && (
              <>
                <dt>Ref</dt>
                <dd>
                  <code>
                    <Value value={r.ref} />
                  </code>
                </dd>
              </>
            )}
            <dt>URL</dt>
            <dd>
              <SafeUrl url={r.url} />
            </dd>
          </dl>
        </div>
      )}

      <ReleaseHealth org={org} version={version} />

      <section class="card" aria-labelledby="new-issues-title">
        <h2 id="new-issues-title">New issues{r !== null && ` (${r.newGroups})`}</h2>
        <FormError error={issues.error} />
        {issues.data !== null && issues.data.length === 0 && <p class="muted">No issue was first seen in this release.</p>}
        {issues.data !== null && issues.data.length > 0 && (
          <ul class="plain-list">
            {issues.data.map((issue) => (
              <li key={issue.id}>
                <LevelBadge level={issue.level} /> <Link href={`/organizations/${seg(org)}/issues/${seg(issue.id)}`}>{issue.title}</Link>{" "}
                <span class="muted small">
                  {issue.shortId} · {issue.count} {issue.count === "1" ? "event" : "events"} · first <RelativeTime iso={issue.firstSeen} />
                </span>
              </li>
            ))}
          </ul>
        )}
        <p class="small">
          <Link href={`/organizations/${seg(org)}/issues?${new URLSearchParams({ query: newIssuesQuery })}`}>In the issue stream</Link>
        </p>
      </section>

      <section class="card" aria-labelledby="deploys-title">
        <h2 id="deploys-title">Deploys{r !== null && ` (${r.deployCount})`}</h2>
        <FormError error={deploys.error} />
        {deploys.data !== null && deploys.data.length === 0 && (
          <p class="muted">
            No deploys yet: <code>sentry-cli deploys new --release … --env production</code> records one.
          </p>
        )}
        {deploys.data !== null && deploys.data.length > 0 && (
          <table class="list deploys">
            <thead>
              <tr>
                <th scope="col">Environment</th>
                <th scope="col">Name</th>
                <th scope="col">Finished</th>
                <th scope="col">URL</th>
              </tr>
            </thead>
            <tbody>
              {deploys.data.map((d) => (
                <tr key={d.id}>
                  <td>
                    <span class="tag-value">{d.environment}</span>
                  </td>
                  <td>{d.name === null ? <span class="muted">unnamed</span> : <Value value={d.name} />}</td>
                  <td>
                    <RelativeTime iso={d.dateFinished} />
                  </td>
                  <td>
                    <SafeUrl url={d.url} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card" aria-labelledby="commits-title">
        <h2 id="commits-title">Commits{r !== null && ` (${r.commitCount})`}</h2>
        <FormError error={commits.error} />
        {commits.data !== null && commits.data.length === 0 && (
          <p class="muted">
            No commits yet: <code>sentry-cli releases set-commits --auto</code> sends them from your checkout.
          </p>
        )}
        {commits.data !== null && commits.data.length > 0 && (
          <table class="list commits">
            <thead>
              <tr>
                <th scope="col">Commit</th>
                <th scope="col">Message</th>
                <th scope="col">Author</th>
                <th scope="col">Date</th>
              </tr>
            </thead>
            <tbody>
              {commits.data.map((c) => (
                <tr key={`${c.repository?.name ?? ""}:${c.id}`}>
                  <td>
                    <code title={c.id}>{c.id.slice(0, 12)}</code>
                    {c.repository !== null && <div class="muted small">{c.repository.name}</div>}
                  </td>
                  <td>
                    {c.message === null ? (
                      c.previousCommit === null ? (
                        <span class="muted">—</span>
                      ) : (
                        <span class="muted">
                          since <code>{c.previousCommit.slice(0, 12)}</code>
                        </span>
                      )
                    ) : (
                      <Value value={c.message.split("\n")[0]} />
                    )}
                  </td>
                  <td>{c.author === null ? <span class="muted">—</span> : <Value value={c.author.name ?? c.author.email} />}</td>
                  <td>
                    <RelativeTime iso={c.dateCreated} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </section>
  );
}

const HEALTH_PERIOD = "48h";

/** The release's sessions and crash-free rate per hour over the last two days, and its health per environment. */
function ReleaseHealth({ org, version }: { org: string; version: string }) {
  const base = `/api/0/organizations/${seg(org)}/sessions/`;
  const release = `release:"${version.replace(/["\\]/g, "\\$&")}"`;
  const overTime = useApi<SessionStats>(
    `${base}?${new URLSearchParams([
      ["field", "sum(session)"],
      ["field", "crash_free_rate(session)"],
      ["interval", "1h"],
      ["statsPeriod", HEALTH_PERIOD],
      ["query", release],
    ])}`,
  );
  const byEnvironment = useApi<SessionStats>(
    `${base}?${new URLSearchParams([
      ["field", "sum(session)"],
      ["field", "crash_free_rate(session)"],
      ["field", "count_unique(user)"],
      ["field", "crash_free_rate(user)"],
      ["groupBy", "environment"],
      ["interval", "24h"],
      ["statsPeriod", HEALTH_PERIOD],
      ["query", release],
    ])}`,
  );
  const charts = useMemo(() => {
    const data = overTime.data;
    const all = data?.groups[0];
    if (!data || !all || !all.totals["sum(session)"]) return null;
    const times = data.intervals.map((t) => Date.parse(t) / 1000);
    return {
      times,
      sessions: [{ label: "Sessions", values: all.series["sum(session)"] ?? [], bars: true }],
      crashFree: [{ label: "Crash-free sessions", values: all.series["crash_free_rate(session)"] ?? [] }],
      total: all.totals["sum(session)"] ?? 0,
      rate: all.totals["crash_free_rate(session)"] ?? null,
    };
  }, [overTime.data]);
  const environments = byEnvironment.data?.groups ?? [];
  return (
    <section class="card" aria-labelledby="health-title">
      <h2 id="health-title">Health, last 48 hours</h2>
      <FormError error={overTime.error ?? byEnvironment.error} />
      {overTime.data !== null && charts === null && (
        <p class="muted">
          No sessions in the last 48 hours. SDKs send them with the release set (<code>release</code> in <code>Sentry.init</code>).
        </p>
      )}
      {charts !== null && (
        <div class="grid-2">
          <PerformanceChart
            title="Sessions per hour"
            summary={`${charts.total} sessions`}
            times={charts.times}
            series={charts.sessions}
            format={formatCount}
          />
          <PerformanceChart
            title="Crash-free sessions"
            summary={`${formatPercent(charts.rate)} over the range`}
            times={charts.times}
            series={charts.crashFree}
            format={formatPercent}
          />
        </div>
      )}
      {environments.length > 0 && (
        <table class="list release-health">
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col" class="num">
                Sessions
              </th>
              <th scope="col" class="num">
                Crash-free sessions
              </th>
              <th scope="col" class="num">
                Users
              </th>
              <th scope="col" class="num">
                Crash-free users
              </th>
            </tr>
          </thead>
          <tbody>
            {environments.map((g) => (
              <tr key={String(g.by.environment)}>
                <td>{g.by.environment === "" ? <span class="muted">none</span> : <span class="tag-value">{g.by.environment}</span>}</td>
                <td class="num">{g.totals["sum(session)"]}</td>
                <HealthCell value={g.totals["crash_free_rate(session)"]} />
                <td class="num">{g.totals["count_unique(user)"]}</td>
                <HealthCell value={g.totals["crash_free_rate(user)"]} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : "";
}
