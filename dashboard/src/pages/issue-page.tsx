import { useEffect, useState } from "preact/hooks";
import { get, seg, send } from "../api-client";
import type { Event, IssueDetails, Member, TagSummary } from "../api-types";
import { ActivityTrail } from "../components/activity-trail";
import { AssigneePicker } from "../components/assignee-picker";
import { EventDetails, EventHeader } from "../components/event-details";
import { Value } from "../components/event-value";
import { EventsChart } from "../components/events-chart";
import { IssueFeedback } from "../components/feedback-list";
import { FormError, errorText } from "../components/form-error";
import { IgnoreMenu } from "../components/ignore-menu";
import { LevelBadge, StatusBadge } from "../components/issue-badges";
import { RelativeTime } from "../components/relative-time";
import { SourceMapReprocessing } from "../components/source-map-reprocessing";
import { releaseHref } from "./releases-page";
import { Link, useLocation, withQuery } from "../router";
import { useSession } from "../session";
import { useApi } from "../use-api";

/**
 * One issue: what it is, how often, its tags, one of its events in full (the latest unless the
 * URL names another), who it is assigned to, and its trail of activity and comments.
 */
export function IssuePage({ org, issueId }: { org: string | null; issueId: string }) {
  const loc = useLocation();
  const issuePath = org === null ? `/api/0/issues/${seg(issueId)}/` : `/api/0/organizations/${seg(org)}/issues/${seg(issueId)}/`;
  const eventRef = loc.query.get("event") ?? "latest";
  const eventPath = `/api/0/issues/${seg(issueId)}/events/${seg(eventRef)}/`;
  const loaded = useApi<IssueDetails>(issuePath);
  const event = useApi<Event>(eventPath);
  const [issue, setIssue] = useState<IssueDetails | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [period, setPeriod] = useState<"24h" | "30d">("30d");
  const session = useSession();
  const me = session.status === "ready" ? session.current.user : null;
  // The permalink names no organization: a person in one organization still gets its members.
  const organizations = session.status === "ready" ? session.current.organizations : [];
  const membersOrg = org ?? (organizations.length === 1 ? organizations[0]!.slug : null);
  const members = useApi<Member[]>(membersOrg === null ? null : `/api/0/organizations/${seg(membersOrg)}/members/`);

  useEffect(() => setIssue(loaded.data), [loaded.data]);
  useEffect(() => {
    if (issue !== null) document.title = `${issue.shortId}: ${issue.title} · Faultline`;
    return () => {
      document.title = "Faultline";
    };
  }, [issue?.shortId, issue?.title]);

  if (issue === null) {
    return loaded.error !== null ? <FormError error={loaded.error} /> : <p role="status">Loading…</p>;
  }

  const change = async (body: unknown) => {
    setBusy(true);
    setActionError(null);
    try {
      setIssue(await send<IssueDetails>("PUT", `/api/0/issues/${seg(issueId)}/`, body));
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const orgSlug = org ?? null;
  const streamHref = orgSlug === null ? null : `/organizations/${seg(orgSlug)}/issues?project=${seg(issue.project.id)}`;
  const stats = issue.stats?.[period] ?? [];

  return (
    <article aria-labelledby="issue-title" class="issue-page">
      <header class="issue-header">
        <p class="muted small">
          {streamHref === null ? issue.project.name : <Link href={streamHref}>{issue.project.name}</Link>} · {issue.shortId}
        </p>
        <h1 id="issue-title" class="issue-title">
          {issue.title}
        </h1>
        {issue.culprit !== "" && <p class="culprit">{issue.culprit}</p>}
        <div class="issue-meta">
          <LevelBadge level={issue.level} />
          {issue.status === "unresolved" && <span class="status-text">Unresolved</span>}
          <StatusBadge issue={issue} />
        </div>
      </header>

      <div class="button-row" role="toolbar" aria-label="Issue status">
        {issue.status !== "resolved" && (
          <>
            <button type="button" class="button primary" disabled={busy} onClick={() => change({ status: "resolved" })}>
              Resolve
            </button>
            <button type="button" class="button" disabled={busy} onClick={() => change({ status: "resolvedInNextRelease" })}>
              Resolve in next release
            </button>
          </>
        )}
        {issue.status !== "ignored" && (
          <>
            <button type="button" class="button" disabled={busy} onClick={() => change({ status: "ignored" })}>
              Ignore
            </button>
            <IgnoreMenu disabled={busy} onIgnore={(statusDetails) => change({ status: "ignored", statusDetails })} />
          </>
        )}
        {issue.status !== "unresolved" && (
          <button type="button" class="button" disabled={busy} onClick={() => change({ status: "unresolved" })}>
            Unresolve
          </button>
        )}
      </div>
      <FormError error={actionError} />

      <div class="issue-grid">
        <div class="issue-main">
          <section class="card" aria-labelledby="chart-title">
            <div class="page-head">
              <h2 id="chart-title">Events over time</h2>
              <div role="group" aria-label="Chart period" class="segmented">
                {(["24h", "30d"] as const).map((p) => (
                  <button key={p} type="button" class="button small" aria-pressed={period === p} onClick={() => setPeriod(p)}>
                    {p === "24h" ? "24 hours" : "30 days"}
                  </button>
                ))}
              </div>
            </div>
            <EventsChart stats={stats} label={period === "24h" ? "Last 24 hours, per hour" : "Last 30 days, per day"} />
          </section>

          <section aria-labelledby="event-title">
            <div class="page-head event-nav">
              <h2 id="event-title">{eventRef === "latest" ? "Latest event" : "Event"}</h2>
              <nav aria-label="Events" class="button-row">
                <EventLink eventId={event.data?.previousEventID ?? null} label="Older" />
                <EventLink eventId={event.data?.nextEventID ?? null} label="Newer" />
                <Link class="button small" href={withQuery(loc, { event: null })}>
                  Latest
                </Link>
                {event.data !== null && (
                  <a
                    class="button small"
                    href={`/api/0/issues/${seg(issueId)}/events/${seg(event.data.eventID)}/`}
                    download={`event-${event.data.eventID}.json`}
                  >
                    Raw JSON
                  </a>
                )}
              </nav>
            </div>
            <FormError error={event.error} />
            {event.data === null && event.error === null && <p role="status">Loading event…</p>}
            {event.data !== null && (
              <>
                {(issue.platform === "javascript" || issue.platform === "node") && (
                  <SourceMapReprocessing issueId={issueId} onReprocessed={event.reload} />
                )}
                <EventHeader event={event.data} />
                <EventDetails event={event.data} />
              </>
            )}
          </section>

          <IssueFeedback issueId={issueId} org={orgSlug} project={issue.project.slug} />

          <ActivityTrail
            issueId={issueId}
            activity={issue.activity}
            members={members.data}
            me={me?.id ?? null}
            onChanged={async () => setIssue(await get<IssueDetails>(issuePath))}
          />
        </div>

        <aside class="issue-side" aria-label="Issue summary">
          <section class="card">
            <dl class="facts">
              <dt>Events</dt>
              <dd>{issue.count}</dd>
              <dt>Users</dt>
              <dd>{issue.userCount}</dd>
              <dt>First seen</dt>
              <dd>
                <RelativeTime iso={issue.firstSeen} />
                {issue.firstRelease !== null && (
                  <div class="muted small">
                    in <ReleaseLink org={orgSlug} release={issue.firstRelease} />
                  </div>
                )}
              </dd>
              <dt>Last seen</dt>
              <dd>
                <RelativeTime iso={issue.lastSeen} />
                {issue.lastRelease !== null && (
                  <div class="muted small">
                    in <ReleaseLink org={orgSlug} release={issue.lastRelease} />
                  </div>
                )}
              </dd>
            </dl>
          </section>
          <section class="card" aria-label="Assignment">
            <AssigneePicker
              assignee={issue.assignedTo}
              members={members.data}
              me={me}
              disabled={busy}
              onAssign={(assignedTo) => change({ assignedTo })}
            />
          </section>
          <Tags tags={issue.tags} />
        </aside>
      </div>
    </article>
  );
}

/** A link to another event of the issue; without one, a disabled button in its place, out of the tab order. */
function EventLink({ eventId, label }: { eventId: string | null; label: string }) {
  const loc = useLocation();
  if (eventId === null) {
    return (
      <button type="button" class="button small" disabled>
        {label}
      </button>
    );
  }
  return (
    <Link class="button small" href={withQuery(loc, { event: eventId })}>
      {label}
    </Link>
  );
}

function Tags({ tags }: { tags: TagSummary[] }) {
  if (tags.length === 0) return null;
  return (
    <section class="card" aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      {tags.map((tag) => (
        <div key={tag.key} class="tag-summary">
          <h3>
            <Value value={tag.key} />
          </h3>
          <ul>
            {tag.topValues.map((v) => {
              const share = tag.totalValues === 0 ? 0 : Math.round((v.count / tag.totalValues) * 100);
              return (
                <li key={v.value} title={`${v.count} of ${tag.totalValues} events`}>
                  <span class="tag-bar" aria-hidden="true">
                    <span class="tag-bar-fill" style={{ width: `${share}%` }} />
                  </span>
                  <span class="tag-value-text">
                    <Value value={v.value} />
                  </span>
                  <span class="muted small">{share}%</span>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </section>
  );
}

/** A release the issue was seen in, linked to its page when the organization is known. */
function ReleaseLink({ org, release }: { org: string | null; release: { version: string; shortVersion: string } }) {
  if (org === null) return <Value value={release.shortVersion} />;
  return (
    <Link href={releaseHref(org, release.version)} class="release-version">
      {release.shortVersion}
    </Link>
  );
}
