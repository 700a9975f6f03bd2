import { useMemo } from "preact/hooks";
import { seg } from "../api-client";
import { PerformanceChart } from "../components/performance-chart";
import { FormError } from "../components/form-error";
import { RelativeTime } from "../components/relative-time";
import { PERIODS, formatMs, formatPercent, formatRate, formatScore, intervalOf, periodOf } from "../performance-format";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useApi } from "../use-api";
import "../performance.css";

const VITALS = [
  { id: "lcp", label: "LCP", format: formatMs },
  { id: "fcp", label: "FCP", format: formatMs },
  { id: "inp", label: "INP", format: formatMs },
  { id: "ttfb", label: "TTFB", format: formatMs },
  { id: "cls", label: "CLS", format: (v: number | null) => formatScore(v) },
] as const;

const SAMPLE_FIELDS = ["id", "trace", "transaction.duration", "transaction.status", "timestamp", "project"];

interface Sample {
  id: string;
  trace: string;
  "transaction.duration": number;
  "transaction.status": string;
  timestamp: string;
  project: string;
}

const SUMMARY = ["count()", "tpm()", "p50()", "p75()", "p95()", "p99()", "avg(transaction.duration)", "failure_rate()", "apdex()"];
const AXES = ["p50()", "p95()", "p99()", "tpm()"] as const;

type Series = { data: Array<[number, Array<{ count: number }>]> };

/** Sentry's search for one transaction name, quoted. */
export function transactionQuery(name: string): string {
  return `transaction:"${name.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * One transaction's summary: its numbers over the time range, its percentiles and throughput over
 * time (uPlot), and its Web Vitals where it has them. Name, project and range are in the URL.
 */
export function TransactionPage({ org }: { org: string }) {
  const loc = useLocation();
  const name = loc.query.get("transaction") ?? "";
  const project = loc.query.get("project") ?? "";
  const period = periodOf(loc.query.get("statsPeriod"));
  const base = new URLSearchParams({ dataset: "transactions", statsPeriod: period, query: transactionQuery(name) });
  if (project !== "") base.set("project", project);

  const summaryParams = new URLSearchParams(base);
  for (const f of [...SUMMARY, ...VITALS.map((v) => `p75(measurements.${v.id})`)]) summaryParams.append("field", f);
  const summary = useApi<{ data: Array<Record<string, number | null>> }>(`/api/0/organizations/${seg(org)}/events/?${summaryParams}`);
  const statsParams = new URLSearchParams(base);
  statsParams.set("interval", intervalOf(period));
  for (const y of AXES) statsParams.append("yAxis", y);
  const stats = useApi<Record<(typeof AXES)[number], Series>>(`/api/0/organizations/${seg(org)}/events-stats/?${statsParams}`);

  const sampleParams = (sort: string) => {
    const params = new URLSearchParams(base);
    for (const f of SAMPLE_FIELDS) params.append("field", f);
    params.set("sort", sort);
    params.set("per_page", "5");
    return `/api/0/organizations/${seg(org)}/events/?${params}`;
  };
  const slowest = useApi<{ data: Sample[] }>(sampleParams("-transaction.duration"));
  const latest = useApi<{ data: Sample[] }>(sampleParams("-timestamp"));

  const row = summary.data?.data[0];
  const charts = useMemo(() => {
    if (stats.data === null) return null;
    const times = stats.data["p50()"].data.map(([t]) => t);
    const values = (y: (typeof AXES)[number]) => stats.data![y].data.map(([, [v]]) => v?.count ?? null);
    const counts = values("tpm()");
    // A bucket without transactions has no percentile: a gap, not a zero.
    const percentile = (y: (typeof AXES)[number]) => values(y).map((v, i) => ((counts[i] ?? 0) > 0 ? v : null));
    return {
      times,
      durations: [
        { label: "p50", values: percentile("p50()") },
        { label: "p95", values: percentile("p95()") },
        { label: "p99", values: percentile("p99()") },
      ],
      throughput: [{ label: "Throughput", values: counts, bars: true }],
    };
  }, [stats.data]);
  const vitals = VITALS.filter((v) => row?.[`p75(measurements.${v.id})`] != null);

  return (
    <section aria-labelledby="transaction-title">
      <p class="muted small">
        <Link
          href={`/organizations/${seg(org)}/performance?${new URLSearchParams({ statsPeriod: period, ...(project ? { project } : {}) })}`}
        >
          Performance
        </Link>{" "}
        › Transaction summary
      </p>
      <div class="page-head">
        <h1 id="transaction-title" class="wrap">
          {name || "(no name)"}
        </h1>
        <div role="group" aria-label="Time range" class="segmented">
          {PERIODS.map((p) => (
            <button
              key={p.id}
              type="button"
              class="button small"
              aria-pressed={period === p.id}
              onClick={() => navigate(withQuery(loc, { statsPeriod: p.id }))}
            >
              {p.label}
            </button>
          ))}
        </div>
      </div>
      <FormError error={summary.error ?? stats.error} />
      {summary.loading && <p class="loading">Loading…</p>}
      {!summary.loading && row === undefined && summary.error === null && (
        <p class="empty">No transactions of this name in this time range.</p>
      )}
      {row !== undefined && (
        <dl class="perf-numbers">
          <Number label="Transactions" value={String(row["count()"] ?? 0)} />
          <Number label="Throughput" value={formatRate(row["tpm()"])} />
          <Number label="p50" value={formatMs(row["p50()"])} />
          <Number label="p75" value={formatMs(row["p75()"])} />
          <Number label="p95" value={formatMs(row["p95()"])} />
          <Number label="p99" value={formatMs(row["p99()"])} />
          <Number label="Average" value={formatMs(row["avg(transaction.duration)"])} />
          <Number label="Failure rate" value={formatPercent(row["failure_rate()"])} />
          <Number label="Apdex" value={formatScore(row["apdex()"])} />
        </dl>
      )}
      {charts !== null && row !== undefined && (
        <div class="grid-2">
          <PerformanceChart
            title="Duration percentiles"
            summary={`p95 ${formatMs(row["p95()"])} over the range`}
            times={charts.times}
            series={charts.durations}
            format={formatMs}
          />
          <PerformanceChart
            title="Throughput (per minute)"
            summary={`${formatRate(row["tpm()"])} over the range`}
            times={charts.times}
            series={charts.throughput}
            format={formatRate}
          />
        </div>
      )}
      {row !== undefined && (
        <div class="grid-2">
          <Samples org={org} title="Slowest" samples={slowest.data?.data ?? []} />
          <Samples org={org} title="Most recent" samples={latest.data?.data ?? []} />
        </div>
      )}
      {vitals.length > 0 && (
        <>
          <h2>Web Vitals (p75)</h2>
          <dl class="perf-numbers">
            {vitals.map((v) => (
              <Number key={v.id} label={v.label} value={v.format(row?.[`p75(measurements.${v.id})`] ?? null)} />
            ))}
          </dl>
        </>
      )}
    </section>
  );
}

/** Sample transactions (the slowest and the latest of each hour), each linking to its trace. */
function Samples({ org, title, samples }: { org: string; title: string; samples: Sample[] }) {
  return (
    <section>
      <h2>{title}</h2>
      {samples.length === 0 ? (
        <p class="muted">None in this time range.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Trace</th>
              <th scope="col" class="num">
                Duration
              </th>
              <th scope="col">Status</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody>
            {samples.map((s) => (
              <tr key={`${s.trace}:${s.id}`}>
                <td>
                  <Link
                    class="mono"
                    href={`/organizations/${seg(org)}/traces/${seg(s.trace)}?timestamp=${Math.floor(Date.parse(s.timestamp) / 1000)}`}
                  >
                    {s.trace.slice(0, 8)}
                  </Link>
                </td>
                <td class="num nowrap">{formatMs(s["transaction.duration"])}</td>
                <td>{s["transaction.status"]}</td>
                <td class="nowrap">
                  <RelativeTime iso={s.timestamp} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Number({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt class="muted small">{label}</dt>
      <dd class="strong">{value}</dd>
    </div>
  );
}
