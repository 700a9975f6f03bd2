/**
 * An uptime monitor's page (/organizations/{org}/crons/uptime/{project}/{id}), reached from the
 * Crons page's Uptime section: the API's monitor, checks and stats routes
 * (dashboard/api/uptime/uptime-routes.ts), drawn with the performance pages' chart.
 */
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { send, seg } from "../api-client";
import { FormError, errorText } from "../components/form-error";
import { PerformanceChart } from "../components/performance-chart";
import { RelativeTime } from "../components/relative-time";
import { formatMs, formatPercent } from "../performance-format";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useApi } from "../use-api";
import { type UptimeCheck, type UptimeMonitor, type UptimeStats, uptimeMonitorPath } from "../uptime/uptime-draft";
import { UptimeForm } from "../uptime/uptime-form";
import { UPTIME_REFRESH_MS, UptimeStateBadge, UptimeTimeline, useEvery } from "../uptime/uptime-section";
import { CHECK_TEXT, UPTIME_PERIODS, checkTone, intervalText, uptimeFraction, uptimePeriodOf, uptimeSeries } from "../uptime/uptime-stats";

/** Latencies on the chart's axis; a plain zero rather than "0.00 ms". */
function formatLatency(ms: number): string {
  return ms === 0 ? "0" : formatMs(ms);
}

/**
 * One uptime monitor: what it requests and expects, its uptime and latency over a range, and its
 * recent checks; edited, disabled or deleted here. Refreshed every minute, as checks come.
 */
export function UptimeMonitorPage({ org, project, id }: { org: string; project: string; id: string }) {
  const loc = useLocation();
  const period = uptimePeriodOf(loc.query.get("statsPeriod"));
  const path = uptimeMonitorPath(org, { projectSlug: project, id });
  const monitor = useApi<UptimeMonitor>(path);
  const checks = useApi<UptimeCheck[]>(`${path}checks/?limit=50`);
  const stats = useApi<UptimeStats>(
    `/api/0/organizations/${seg(org)}/uptime-stats/?${new URLSearchParams({
      uptimeDetectorId: id,
      statsPeriod: period.id,
      resolution: period.resolution,
    })}`,
  );
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [reloadMonitor, reloadChecks, reloadStats] = [monitor.reload, checks.reload, stats.reload];
  const refresh = useCallback(() => {
    reloadMonitor();
    reloadChecks();
    reloadStats();
  }, [reloadMonitor, reloadChecks, reloadStats]);
  useEvery(UPTIME_REFRESH_MS, refresh);
  useEffect(() => setProblem(null), [path]);

  const m = monitor.data;
  const buckets = stats.data?.[id] ?? null;
  const charts = useMemo(() => {
    if (buckets === null) return null;
    const series = uptimeSeries(buckets);
    return {
      times: series.times,
      uptime: [{ label: "Uptime", values: series.uptime }],
      latency: [{ label: "Mean latency", values: series.latency, color: "#2f6fb4" }],
      fraction: uptimeFraction(buckets),
      made: series.uptime.some((v) => v !== null),
    };
  }, [buckets]);

  const setStatus = async (status: "active" | "disabled") => {
    setProblem(null);
    try {
      await send("PUT", path, { status });
      refresh();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  const remove = async () => {
    if (m === null || !confirm(`Delete the uptime monitor “${m.name}” and its checks? Its issues stay.`)) return;
    try {
      await send("DELETE", path);
      navigate(`/organizations/${seg(org)}/crons`);
    } catch (err) {
      setProblem(errorText(err));
    }
  };

  return (
    <section aria-labelledby="uptime-monitor-title">
      <div class="page-head">
        <h1 id="uptime-monitor-title" class="wrap">
          {m?.name ?? "Uptime monitor"}
        </h1>
        {m !== null && !editing && (
          <span class="button-row">
            <button type="button" class="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" class="button" onClick={() => setStatus(m.status === "disabled" ? "active" : "disabled")}>
              {m.status === "disabled" ? "Enable" : "Disable"}
            </button>
            <button type="button" class="button" onClick={remove}>
              Delete
            </button>
          </span>
        )}
        <Link href={`/organizations/${seg(org)}/crons`}>All monitors</Link>
      </div>
      <FormError error={monitor.error ?? problem} />
      {m !== null && editing && (
        <UptimeForm
          org={org}
          projects={null}
          monitor={m}
          onDone={() => {
            setEditing(false);
            refresh();
          }}
          onCancel={() => setEditing(false)}
        />
      )}
      {m !== null && (
        <div class="card">
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <UptimeStateBadge monitor={m} />
            </dd>
            <dt>Request</dt>
            <dd>
              <code>{m.method}</code> <span class="uptime-url">{m.url}</span>
            </dd>
            <dt>Interval, timeout</dt>
            <dd>
              {intervalText(m.intervalSeconds)}, {formatMs(m.timeoutMs)}
            </dd>
            <dt>Up when</dt>
            <dd>
              the status is {m.expectedStatusMin}–{m.expectedStatusMax}
              {m.bodyKeyword === null ? "" : ` and the body contains “${m.bodyKeyword}”`}
            </dd>
            <dt>Issues</dt>
            <dd>
              after {m.downtimeThreshold} failed check(s) in a row, resolved after {m.recoveryThreshold} good one(s), in {m.environment}:{" "}
              {/* Each failure event carries its monitor's id as the tag uptime.monitor. */}
              <Link
                href={`/organizations/${seg(org)}/issues?project=${seg(m.projectId)}&query=${encodeURIComponent(`is:unresolved uptime.monitor:${m.id}`)}`}
              >
                open issues
              </Link>
            </dd>
            <dt>Last checked, next</dt>
            <dd>
              {m.lastCheckedAt === null ? "not yet" : <RelativeTime iso={m.lastCheckedAt} />}
              {", "}
              {m.nextCheckAt === null ? "none (disabled)" : <RelativeTime iso={m.nextCheckAt} />}
            </dd>
          </dl>
          {checks.data !== null && <UptimeTimeline checks={checks.data.slice(0, 30)} />}
        </div>
      )}
      <section class="card" aria-labelledby="uptime-history-title">
        <div class="page-head">
          <h2 id="uptime-history-title">Uptime {charts?.fraction === null || charts === null ? "" : formatPercent(charts.fraction)}</h2>
          <div role="group" aria-label="Time range" class="segmented">
            {UPTIME_PERIODS.map((p) => (
              <button
                key={p.id}
                type="button"
                class="button small"
                aria-pressed={period.id === p.id}
                onClick={() => navigate(withQuery(loc, { statsPeriod: p.id }), { replace: true })}
              >
                {p.label}
              </button>
            ))}
          </div>
        </div>
        <FormError error={stats.error} />
        {charts !== null && !charts.made && <p class="muted">No checks in this range yet.</p>}
        {charts !== null && charts.made && (
          <div class="grid-2">
            <PerformanceChart
              title={`Uptime per ${period.resolution === "1d" ? "day" : period.resolution === "6h" ? "6 hours" : "hour"}`}
              summary={`${formatPercent(charts.fraction)} over the range`}
              times={charts.times}
              series={charts.uptime}
              format={formatPercent}
            />
            <PerformanceChart
              title="Mean latency"
              summary={`latest ${formatMs(checks.data?.[0]?.durationMs)}`}
              times={charts.times}
              series={charts.latency}
              format={formatLatency}
            />
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="uptime-checks-title">
        <h2 id="uptime-checks-title">Checks</h2>
        <FormError error={checks.error} />
        {checks.data !== null && checks.data.length === 0 && <p>No checks yet.</p>}
        {checks.data !== null && checks.data.length > 0 && (
          <table class="list uptime-checks">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Checked</th>
                <th scope="col" class="num">
                  HTTP status
                </th>
                <th scope="col" class="num">
                  Duration
                </th>
                <th scope="col">Why it failed</th>
              </tr>
            </thead>
            <tbody>
              {checks.data.map((c) => (
                <tr key={c.uptimeCheckId}>
                  <td>
                    <span class={`monitor-status status-${checkTone(c.checkStatus)}`}>{CHECK_TEXT[c.checkStatus]}</span>
                  </td>
                  <td>
                    <RelativeTime iso={c.timestamp} />
                  </td>
                  <td class="num">{c.httpStatusCode ?? "—"}</td>
                  <td class="num">{formatMs(c.durationMs)}</td>
                  <td>{c.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </section>
  );
}
