/**
 * The Crons page's Uptime section, and the pieces an uptime monitor's page shares with it: the
 * state badge, the recent checks' timeline and a refresh every minute.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { get, seg } from "../api-client";
import { FormError, errorText } from "../components/form-error";
import { exactTime } from "../components/relative-time";
import { formatMs, formatPercent } from "../performance-format";
import { Link, navigate } from "../router";
import { useApi } from "../use-api";
import { type UptimeCheck, type UptimeMonitor, type UptimeStats, uptimeMonitorPath } from "./uptime-draft";
import { UptimeForm } from "./uptime-form";
import { CHECK_TEXT, STATE_TEXT, checkTone, intervalText, uptimeFraction, uptimeState } from "./uptime-stats";
import "./uptime.css";

/** The stats route takes at most 100 monitor ids a call. */
const STATS_IDS_PER_CALL = 100;
/** The shortest interval is a minute: a fresher answer than that shows nothing new. */
export const UPTIME_REFRESH_MS = 60_000;

/** Calls `tick` every `ms` while the page is shown. */
export function useEvery(ms: number, tick: () => void): void {
  useEffect(() => {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  }, [ms, tick]);
}

export function UptimeStateBadge({ monitor }: { monitor: UptimeMonitor }) {
  const state = uptimeState(monitor);
  const tone = state === "up" ? "ok" : state === "down" ? "error" : "disabled";
  return <span class={`monitor-status status-${tone}`}>{STATE_TEXT[state]}</span>;
}

/** The recent checks as a row of marks, oldest left, as the cron monitors' timeline. */
export function UptimeTimeline({ checks }: { checks: UptimeCheck[] }) {
  if (checks.length === 0) return <span class="muted">no checks yet</span>;
  const oldestFirst = [...checks].reverse();
  return (
    <ol class="checkin-timeline" aria-label={`Last ${oldestFirst.length} checks`}>
      {oldestFirst.map((c) => (
        <li
          key={c.uptimeCheckId}
          class={`tick status-${checkTone(c.checkStatus)}`}
          title={`${CHECK_TEXT[c.checkStatus]} · ${exactTime(Date.parse(c.scheduledCheckTime))} · ${formatMs(c.durationMs)}${c.reason ? ` · ${c.reason}` : ""}`}
        >
          <span class="visually-hidden">{c.checkStatus}</span>
        </li>
      ))}
    </ol>
  );
}

/** One monitor's row: its last check's latency and its recent checks come from its check log. */
function UptimeRow({ org, monitor, uptime, generation }: { org: string; monitor: UptimeMonitor; uptime: string; generation: number }) {
  const checks = useApi<UptimeCheck[]>(`${uptimeMonitorPath(org, monitor)}checks/?limit=30`);
  const reload = checks.reload;
  useEffect(() => {
    if (generation > 0) reload();
  }, [generation, reload]);
  const last = checks.data?.[0];
  return (
    <tr>
      <td>
        <Link href={`/organizations/${seg(org)}/crons/uptime/${seg(monitor.projectSlug)}/${seg(monitor.id)}`}>{monitor.name}</Link>
        <div class="muted small uptime-url">{monitor.url}</div>
      </td>
      <td>
        <code class="small">{monitor.method}</code>
      </td>
      <td>{intervalText(monitor.intervalSeconds)}</td>
      <td>
        <UptimeStateBadge monitor={monitor} />
      </td>
      <td class="num">{uptime}</td>
      <td class="num">
        {last === undefined ? (
          <span class="muted">—</span>
        ) : (
          <span title={exactTime(Date.parse(last.timestamp))}>{formatMs(last.durationMs)}</span>
        )}
      </td>
      <td>{checks.data === null ? <span class="muted">{checks.error ?? "…"}</span> : <UptimeTimeline checks={checks.data} />}</td>
    </tr>
  );
}

/**
 * The Crons page's Uptime section: every uptime monitor of the organization with its URL,
 * method, interval, state, uptime over the last 24 hours and its last check's latency, and a form
 * to add one. Refreshed every minute, as checks come.
 */
export function UptimeSection({ org }: { org: string }) {
  const [generation, setGeneration] = useState(0);
  const list = useApi<UptimeMonitor[]>(`/api/0/organizations/${seg(org)}/uptime/`);
  const projects = useApi<Array<{ id: string; slug: string }>>(`/api/0/organizations/${seg(org)}/projects/`);
  const [creating, setCreating] = useState(false);
  const [stats, setStats] = useState<{ data: UptimeStats; error: string | null }>({ data: {}, error: null });
  const reloadList = list.reload;
  const refresh = useCallback(() => {
    setGeneration((g) => g + 1);
    reloadList();
  }, [reloadList]);
  useEvery(UPTIME_REFRESH_MS, refresh);

  // Each answer of the list (on load and every minute) asks for the stats of its monitors.
  useEffect(() => {
    const ids = (list.data ?? []).map((m) => m.id);
    if (ids.length === 0) return;
    let live = true;
    const calls = [];
    for (let i = 0; i < ids.length; i += STATS_IDS_PER_CALL) {
      const query = new URLSearchParams([
        ["statsPeriod", "24h"],
        ["resolution", "1h"],
        ...ids.slice(i, i + STATS_IDS_PER_CALL).map((id) => ["uptimeDetectorId", id]),
      ]);
      calls.push(get<UptimeStats>(`/api/0/organizations/${seg(org)}/uptime-stats/?${query}`));
    }
    Promise.all(calls).then(
      (parts) => live && setStats({ data: Object.assign({}, ...parts), error: null }),
      (err: unknown) => live && setStats({ data: {}, error: errorText(err) }),
    );
    return () => {
      live = false;
    };
  }, [org, list.data]);

  return (
    <section aria-labelledby="uptime-title" class="uptime-section">
      <div class="page-head">
        <h2 id="uptime-title">Uptime</h2>
        {!creating && projects.data !== null && projects.data.length > 0 && (
          <button type="button" class="button" onClick={() => setCreating(true)}>
            New uptime monitor
          </button>
        )}
      </div>
      <p class="muted">
        URLs Faultline requests on a schedule. A check fails on a status outside the expected range, a missing keyword, a timeout or no
        answer; enough failures in a row open an issue, which a good check resolves.
      </p>
      {creating && projects.data !== null && (
        <UptimeForm
          org={org}
          projects={projects.data}
          monitor={null}
          onDone={(saved) => {
            setCreating(false);
            navigate(`/organizations/${seg(org)}/crons/uptime/${seg(saved.projectSlug)}/${seg(saved.id)}`);
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      <FormError error={list.error ?? stats.error} />
      {list.data !== null && list.data.length === 0 && (
        <div class="card">
          <p>No uptime monitors yet.</p>
        </div>
      )}
      {list.data !== null && list.data.length > 0 && (
        <table class="list uptime-monitors">
          <thead>
            <tr>
              <th scope="col">Monitor</th>
              <th scope="col">Method</th>
              <th scope="col">Interval</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Uptime (24 h)
              </th>
              <th scope="col" class="num">
                Last check
              </th>
              <th scope="col">Recent checks</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((m) => {
              const buckets = stats.data[m.id];
              return (
                <UptimeRow
                  key={m.id}
                  org={org}
                  monitor={m}
                  generation={generation}
                  uptime={buckets === undefined ? "…" : formatPercent(uptimeFraction(buckets))}
                />
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
