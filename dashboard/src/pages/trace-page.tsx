import { seg } from "../api-client";
import { FormError } from "../components/form-error";
import { type TraceNode, type TraceSpan, TraceWaterfall } from "../components/trace-waterfall";
import { formatMs } from "../performance-format";
import { Link, useLocation } from "../router";
import { useApi } from "../use-api";
import "../performance.css";

/**
 * A trace: every transaction and span across the organization's projects as a waterfall, with
 * its errors marked and linked to their issues. `timestamp` (seconds) in the URL narrows the
 * lookup to the days around it, as an issue's event link passes it.
 */
export function TracePage({ org, traceId }: { org: string; traceId: string }) {
  const loc = useLocation();
  const params = new URLSearchParams();
  const timestamp = loc.query.get("timestamp");
  if (timestamp !== null) params.set("timestamp", timestamp);
  else params.set("statsPeriod", "30d");
  const trace = useApi<TraceNode[]>(`/api/0/organizations/${seg(org)}/trace/${seg(traceId)}/?${params}`);
  const roots = trace.data ?? [];
  const spans = (nodes: TraceNode[]): TraceSpan[] => nodes.flatMap((n) => (n.event_type === "error" ? [] : [n, ...spans(n.children)]));
  const all = spans(roots);
  const errors = all.flatMap((s) => s.errors).concat(roots.filter((n) => n.event_type === "error") as never[]);
  const transactions = all.filter((s) => s.is_transaction);
  const duration =
    all.length === 0 ? 0 : (Math.max(...all.map((s) => s.end_timestamp)) - Math.min(...all.map((s) => s.start_timestamp))) * 1000;
  const root = transactions[0];

  return (
    <section aria-labelledby="trace-title">
      <p class="muted small">
        <Link href={`/organizations/${seg(org)}/performance`}>Performance</Link> › Trace
      </p>
      <div class="page-head">
        <h1 id="trace-title" class="wrap">
          {root?.name ?? "Trace"} <span class="muted small mono">{traceId}</span>
        </h1>
      </div>
      <FormError error={trace.error} />
      {trace.loading && <p class="loading">Loading…</p>}
      {trace.data !== null && (
        <>
          <p class="muted">
            {transactions.length} {transactions.length === 1 ? "transaction" : "transactions"}, {all.length} spans, {errors.length}{" "}
            {errors.length === 1 ? "error" : "errors"}, {formatMs(duration)}
          </p>
          <TraceWaterfall org={org} roots={roots} />
        </>
      )}
    </section>
  );
}
