import { useEffect, useState } from "preact/hooks";
import { send, seg } from "../api-client";
import { FormError, errorText } from "../components/form-error";
import { RelativeTime, exactTime } from "../components/relative-time";
import type { MonitorConfig } from "../monitor-draft";
import { Link, navigate } from "../router";
import { useApi } from "../use-api";
import { UptimeSection } from "../uptime/uptime-section";

interface Monitor {
  slug: string;
  name: string;
  status: string;
  config: MonitorConfig | null;
  lastCheckIn: string | null;
  nextCheckIn: string | null;
  project: { id: string; slug: string; name: string };
  environments: Array<{ name: string; status: string; lastCheckIn: string | null; nextCheckIn: string | null }>;
}

interface CheckIn {
  id: string;
  status: string;
  duration: number | null;
  dateCreated: string;
  expectedTime: string | null;
  environment: string;
}

type MonitorForms = typeof import("../components/monitor-form");

/** The monitor forms' module, loaded the first time one is opened. */
function useMonitorForms(wanted: boolean): MonitorForms | null {
  const [forms, setForms] = useState<MonitorForms | null>(null);
  useEffect(() => {
    if (!wanted || forms !== null) return;
    let live = true;
    void import("../components/monitor-form").then((m) => live && setForms(m));
    return () => {
      live = false;
    };
  }, [wanted, forms]);
  return forms;
}

const STATUS_TEXT: Record<string, string> = {
  ok: "OK",
  error: "Failing",
  missed_checkin: "Missed",
  missed: "Missed",
  timeout: "Timed out",
  in_progress: "In progress",
  active: "Waiting for first check-in",
  disabled: "Disabled",
};

function scheduleText(config: MonitorConfig | null): string {
  if (config === null) return "—";
  if (config.schedule_type === "interval" && Array.isArray(config.schedule)) {
    const [n, unit] = config.schedule;
    return `every ${n === 1 ? unit : `${n} ${unit}s`}`;
  }
  return `${String(config.schedule)}${config.timezone === "UTC" ? " (UTC)" : ` (${config.timezone})`}`;
}

function durationText(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function StatusBadge({ status }: { status: string }) {
  return <span class={`monitor-status status-${status}`}>{STATUS_TEXT[status] ?? status}</span>;
}

/** The recent check-ins as a row of marks, oldest left: ok, error, missed, timeout and in progress at a glance. */
function CheckInTimeline({ org, slug }: { org: string; slug: string }) {
  const list = useApi<CheckIn[]>(`/api/0/organizations/${seg(org)}/monitors/${seg(slug)}/checkins/?limit=30`);
  if (list.data === null) return <span class="muted">{list.error ?? "…"}</span>;
  if (list.data.length === 0) return <span class="muted">no check-ins yet</span>;
  const oldestFirst = [...list.data].reverse();
  return (
    <ol class="checkin-timeline" aria-label={`Last ${oldestFirst.length} check-ins`}>
      {oldestFirst.map((c) => (
        <li
          key={c.id}
          class={`tick status-${c.status}`}
          title={`${STATUS_TEXT[c.status] ?? c.status} · ${exactTime(Date.parse(c.dateCreated))} · ${c.environment}`}
        >
          <span class="visually-hidden">{c.status}</span>
        </li>
      ))}
    </ol>
  );
}

/**
 * The organization's cron monitors (schedule, status, next expected run and the recent
 * check-ins), then its uptime monitors.
 */
export function CronsPage({ org }: { org: string }) {
  const monitors = useApi<Monitor[]>(`/api/0/organizations/${seg(org)}/monitors/`);
  const projects = useApi<Array<{ id: string; slug: string }>>(`/api/0/organizations/${seg(org)}/projects/`);
  const [creating, setCreating] = useState(false);
  const forms = useMonitorForms(creating);
  return (
    <section aria-labelledby="crons-title">
      <div class="page-head">
        <h1 id="crons-title">Crons</h1>
        {!creating && projects.data !== null && projects.data.length > 0 && (
          <button type="button" class="button" onClick={() => setCreating(true)}>
            New monitor
          </button>
        )}
      </div>
      {creating && projects.data !== null && forms !== null && (
        <forms.NewMonitorForm
          projects={projects.data}
          url={`/api/0/organizations/${seg(org)}/monitors/`}
          onDone={() => {
            setCreating(false);
            monitors.reload();
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      <p class="muted">
        Scheduled jobs that check in with an SDK (<code>Sentry.withMonitor</code>), <code>sentry-cli monitors run</code> or the HTTP
        check-in URL. A failed, missed or timed-out run opens an issue for the monitor.
      </p>
      <FormError error={monitors.error} />
      {monitors.data !== null && monitors.data.length === 0 && (
        <div class="card">
          <p>No monitors yet. The first check-in with a schedule (monitor_config) creates one.</p>
        </div>
      )}
      {monitors.data !== null && monitors.data.length > 0 && (
        <table class="list monitors">
          <thead>
            <tr>
              <th scope="col">Monitor</th>
              <th scope="col">Schedule</th>
              <th scope="col">Status</th>
              <th scope="col">Next expected</th>
              <th scope="col">Recent check-ins</th>
            </tr>
          </thead>
          <tbody>
            {monitors.data.map((m) => (
              <tr key={`${m.project.id}:${m.slug}`}>
                <td>
                  <Link href={`/organizations/${seg(org)}/crons/${seg(m.slug)}?project=${seg(m.project.id)}`}>{m.name}</Link>
                  <div class="muted small">{m.project.slug}</div>
                </td>
                <td>
                  <code class="small">{scheduleText(m.config)}</code>
                </td>
                <td>
                  <StatusBadge status={m.status} />
                </td>
                <td>{m.nextCheckIn === null ? <span class="muted">—</span> : <RelativeTime iso={m.nextCheckIn} />}</td>
                <td>
                  <CheckInTimeline org={org} slug={m.slug} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <UptimeSection org={org} />
    </section>
  );
}

/** One monitor: its configuration, environments, check-ins newest first, and a way to its issues. */
export function MonitorPage({ org, slug }: { org: string; slug: string }) {
  const base = `/api/0/organizations/${seg(org)}/monitors/${seg(slug)}`;
  const monitor = useApi<Monitor>(`${base}/`);
  const checkIns = useApi<CheckIn[]>(`${base}/checkins/?limit=100`);
  const [editing, setEditing] = useState(false);
  const forms = useMonitorForms(editing);
  const [problem, setProblem] = useState<string | null>(null);
  const m = monitor.data;
  const remove = async () => {
    if (m === null || !confirm(`Delete the monitor “${m.name}” and its check-ins? Its issues stay.`)) return;
    try {
      await send("DELETE", `${base}/`);
      navigate(`/organizations/${seg(org)}/crons`);
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <section aria-labelledby="monitor-title">
      <div class="page-head">
        <h1 id="monitor-title">{m?.name ?? slug}</h1>
        {m !== null && !editing && (
          <span class="button-row">
            <button type="button" class="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" class="button" onClick={remove}>
              Delete
            </button>
          </span>
        )}
        <Link href={`/organizations/${seg(org)}/crons`}>All monitors</Link>
      </div>
      <FormError error={monitor.error ?? checkIns.error ?? problem} />
      {m !== null && editing && forms !== null && (
        <forms.EditMonitorForm
          monitor={m}
          url={`${base}/`}
          onDone={() => {
            setEditing(false);
            monitor.reload();
          }}
          onCancel={() => setEditing(false)}
        />
      )}
      {m !== null && (
        <div class="card">
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={m.status} />
            </dd>
            <dt>Schedule</dt>
            <dd>
              <code>{scheduleText(m.config)}</code>
            </dd>
            <dt>Next expected</dt>
            <dd>{m.nextCheckIn === null ? "—" : <RelativeTime iso={m.nextCheckIn} />}</dd>
            <dt>Margin, max runtime</dt>
            <dd>{m.config ? `${m.config.checkin_margin} min, ${m.config.max_runtime} min` : "—"}</dd>
            <dt>Issues</dt>
            <dd>
              {m.config
                ? `after ${m.config.failure_issue_threshold} failed run(s), resolved after ${m.config.recovery_threshold} good one(s): `
                : ""}
              <Link
                href={`/organizations/${seg(org)}/issues?project=${seg(m.project.id)}&query=${encodeURIComponent(`is:unresolved monitor.slug:${m.slug}`)}`}
              >
                open issues
              </Link>
            </dd>
            <dt>Environments</dt>
            <dd>
              {m.environments.length === 0
                ? "—"
                : m.environments.map((e) => (
                    <span key={e.name} class="environment">
                      {e.name} <StatusBadge status={e.status} />{" "}
                    </span>
                  ))}
            </dd>
          </dl>
          <CheckInTimeline org={org} slug={m.slug} />
        </div>
      )}
      {checkIns.data !== null && (
        <section class="card" aria-labelledby="checkins-title">
          <h2 id="checkins-title">Check-ins</h2>
          {checkIns.data.length === 0 ? (
            <p>No check-ins yet.</p>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                  <th scope="col">Expected</th>
                  <th scope="col" class="num">
                    Duration
                  </th>
                  <th scope="col">Environment</th>
                </tr>
              </thead>
              <tbody>
                {checkIns.data.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <StatusBadge status={c.status} />
                    </td>
                    <td>
                      <RelativeTime iso={c.dateCreated} />
                    </td>
                    <td>{c.expectedTime === null ? "—" : <RelativeTime iso={c.expectedTime} />}</td>
                    <td class="num">{durationText(c.duration)}</td>
                    <td>{c.environment}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </section>
  );
}
