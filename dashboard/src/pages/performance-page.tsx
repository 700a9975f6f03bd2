import { seg } from "../api-client";
import type { Project } from "../api-types";
import { FormError } from "../components/form-error";
import { PERIODS, formatMs, formatPercent, formatRate, formatScore, periodOf } from "../performance-format";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useApi } from "../use-api";
import "../performance.css";

export interface TransactionRow {
  transaction: string;
  "transaction.op": string;
  project: string;
  "project.id": number;
  "count()": number;
  "tpm()": number;
  "p50()": number | null;
  "p95()": number | null;
  "p99()": number | null;
  "failure_rate()": number | null;
  "apdex()": number | null;
  "p75(measurements.lcp)": number | null;
}

const FIELDS = [
  "transaction",
  "transaction.op",
  "project",
  "project.id",
  "count()",
  "tpm()",
  "p50()",
  "p95()",
  "p99()",
  "failure_rate()",
  "apdex()",
  "p75(measurements.lcp)",
];

const COLUMNS: Array<{ field: keyof TransactionRow; label: string; show: (v: unknown) => string }> = [
  { field: "tpm()", label: "Throughput", show: (v) => formatRate(v as number) },
  { field: "p50()", label: "p50", show: (v) => formatMs(v as number) },
  { field: "p95()", label: "p95", show: (v) => formatMs(v as number) },
  { field: "p99()", label: "p99", show: (v) => formatMs(v as number) },
  { field: "failure_rate()", label: "Failure rate", show: (v) => formatPercent(v as number) },
  { field: "apdex()", label: "Apdex", show: (v) => formatScore(v as number) },
];

const LCP = { field: "p75(measurements.lcp)" as const, label: "LCP p75", show: (v: unknown) => formatMs(v as number) };

/**
 * Performance: every transaction name of the organization's projects (or one), with throughput,
 * percentiles, failure rate and Apdex over the time range, sortable by any column. Project,
 * range, environment, search and sort are in the URL.
 */
export function PerformancePage({ org }: { org: string }) {
  const loc = useLocation();
  const project = loc.query.get("project") ?? "";
  const period = periodOf(loc.query.get("statsPeriod"));
  const environment = loc.query.get("environment") ?? "";
  const query = loc.query.get("query") ?? "";
  const sort = loc.query.get("sort") ?? "-tpm()";

  const projects = useApi<Project[]>(`/api/0/organizations/${seg(org)}/projects/`);
  const params = new URLSearchParams({ dataset: "transactions", statsPeriod: period, sort, per_page: "50" });
  for (const f of FIELDS) params.append("field", f);
  if (project !== "") params.set("project", project);
  if (environment !== "") params.set("environment", environment);
  if (query !== "") params.set("query", query);
  const table = useApi<{ data: TransactionRow[] }>(`/api/0/organizations/${seg(org)}/events/?${params}`);
  const environments = useApi<Array<{ name: string }>>(`/api/0/organizations/${seg(org)}/environments/`);

  const go = (changes: Record<string, string | null>) => navigate(withQuery(loc, changes));
  const rows = table.data?.data ?? [];
  const columns = rows.some((r) => r["p75(measurements.lcp)"] !== null) ? [...COLUMNS, LCP] : COLUMNS;
  const sortBy = (field: string) => go({ sort: sort === `-${field}` ? field : `-${field}` });
  const ariaSort = (field: string) => (sort === `-${field}` ? "descending" : sort === field ? "ascending" : undefined);
  const summaryHref = (r: TransactionRow) =>
    `/organizations/${seg(org)}/performance/summary?${new URLSearchParams({ transaction: r.transaction, project: String(r["project.id"]), statsPeriod: period })}`;

  return (
    <section aria-labelledby="performance-title">
      <div class="page-head">
        <h1 id="performance-title">Performance</h1>
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
        <label>
          <span class="visually-hidden">Environment</span>
          <select value={environment} onChange={(e) => go({ environment: e.currentTarget.value })} aria-label="Environment">
            <option value="">All environments</option>
            {environments.data?.map((env) => (
              <option key={env.name} value={env.name}>
                {env.name}
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
            <span class="visually-hidden">Search transactions</span>
            <input name="query" type="search" key={query} defaultValue={query} placeholder="transaction:/api/* or text in the name" />
          </label>
          <button type="submit" class="button">
            Search
          </button>
        </form>
        <div role="group" aria-label="Time range" class="segmented">
          {PERIODS.map((p) => (
            <button key={p.id} type="button" class="button small" aria-pressed={period === p.id} onClick={() => go({ statsPeriod: p.id })}>
              {p.label}
            </button>
          ))}
        </div>
      </div>
      <FormError error={table.error} />
      {table.loading && <p class="loading">Loading…</p>}
      {!table.loading && rows.length === 0 && table.error === null && (
        <p class="empty">No transactions in this time range. Set tracesSampleRate in your SDK to send them.</p>
      )}
      {rows.length > 0 && (
        <table class="list transactions">
          <thead>
            <tr>
              <th scope="col" aria-sort={ariaSort("transaction")}>
                <button type="button" class="sort" onClick={() => sortBy("transaction")}>
                  Transaction
                </button>
              </th>
              <th scope="col">Op</th>
              {columns.map((c) => (
                <th key={c.field} scope="col" class="num" aria-sort={ariaSort(c.field)}>
                  <button type="button" class="sort" onClick={() => sortBy(c.field)}>
                    {c.label}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.project}:${r.transaction}:${r["transaction.op"]}`}>
                <td>
                  <Link href={summaryHref(r)} class="strong">
                    {r.transaction || "(no name)"}
                  </Link>
                  <div class="muted small">{r.project}</div>
                </td>
                <td class="muted">{r["transaction.op"]}</td>
                {columns.map((c) => (
                  <td key={c.field} class="num nowrap">
                    {c.show(r[c.field])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
