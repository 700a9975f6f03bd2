import { useState } from "preact/hooks";
import { seg } from "../api-client";
import { formatMs } from "../performance-format";
import { Link } from "../router";

export interface TraceError {
  event_type: "error";
  event_id: string;
  issue_id: number;
  issue: string;
  title: string;
  level: string;
  project_slug: string;
  span_id: string | null;
  timestamp: number;
}

export interface TraceSpan {
  event_type: "transaction" | "span";
  event_id: string;
  span_id: string;
  parent_span_id: string | null;
  project_slug: string;
  transaction: string | null;
  is_transaction: boolean;
  op: string;
  description: string;
  name: string;
  start_timestamp: number;
  end_timestamp: number;
  duration: number;
  status: string;
  data: Record<string, string | number | boolean>;
  errors: TraceError[];
  children: TraceSpan[];
}

export type TraceNode = TraceSpan | TraceError;

/** Rows drawn at most; a bigger trace says how many it leaves out. */
const MAX_ROWS = 2000;

interface Row {
  node: TraceNode;
  depth: number;
}

function rowsOf(roots: TraceNode[]): Row[] {
  const rows: Row[] = [];
  const stack: Row[] = [...roots].reverse().map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const row = stack.pop()!;
    rows.push(row);
    if (row.node.event_type !== "error")
      for (const child of [...row.node.children].reverse()) stack.push({ node: child, depth: row.depth + 1 });
  }
  return rows;
}

const startOf = (n: TraceNode) => (n.event_type === "error" ? n.timestamp / 1000 : n.start_timestamp);
const endOf = (n: TraceNode) => (n.event_type === "error" ? n.timestamp / 1000 : n.end_timestamp);

/**
 * A trace's waterfall: every span nested under its parent, its bar placed and sized to scale on
 * the trace's time line, with its op, description, duration and status; errors marked on the span
 * they happened in, linking to their issue. A click on a row shows the span's data.
 */
export function TraceWaterfall({ org, roots }: { org: string; roots: TraceNode[] }) {
  const rows = rowsOf(roots);
  const [selected, setSelected] = useState<string | null>(null);
  if (rows.length === 0) return <p class="empty">Nothing of this trace was found in the time range.</p>;
  const start = Math.min(...rows.map((r) => startOf(r.node)));
  const end = Math.max(...rows.map((r) => endOf(r.node)));
  const total = Math.max(end - start, 1e-6);
  const shown = rows.slice(0, MAX_ROWS);
  const chosen = rows.find((r) => r.node.event_type !== "error" && r.node.span_id === selected)?.node as TraceSpan | undefined;
  const issueHref = (e: TraceError) => `/organizations/${seg(org)}/issues/${seg(e.issue_id)}`;

  return (
    <div class="waterfall">
      <div class="waterfall-scale muted small" aria-hidden="true">
        <span>0 ms</span>
        <span>{formatMs(total * 500)}</span>
        <span>{formatMs(total * 1000)}</span>
      </div>
      <ol class="waterfall-rows" aria-label="Spans">
        {shown.map(({ node, depth }) => {
          const left = ((startOf(node) - start) / total) * 100;
          if (node.event_type === "error")
            return (
              <li key={`e:${node.event_id}`} class="waterfall-row error-row" style={{ "--depth": depth }}>
                <span class="waterfall-label">
                  <span class="error-mark" aria-hidden="true" />
                  <Link href={issueHref(node)}>{node.title}</Link> <span class="muted small">{node.issue}</span>
                </span>
                <span class="waterfall-track">
                  <span class="waterfall-error" style={{ left: `${left}%` }} title={node.title} />
                </span>
                <span class="waterfall-duration small">error</span>
              </li>
            );
          const width = Math.max(0.3, ((node.end_timestamp - node.start_timestamp) / total) * 100);
          const failed = !["ok", "unknown", "cancelled"].includes(node.status);
          return (
            <li
              key={node.span_id}
              class={`waterfall-row${node.is_transaction ? " is-transaction" : ""}${selected === node.span_id ? " selected" : ""}`}
              style={{ "--depth": depth }}
            >
              <button
                type="button"
                class="waterfall-label"
                aria-expanded={selected === node.span_id}
                onClick={() => setSelected(selected === node.span_id ? null : node.span_id)}
              >
                <span class="op">{node.op}</span> <span class="description">{node.is_transaction ? node.name : node.description}</span>
                {node.errors.length > 0 && (
                  <span class="error-mark" title={`${node.errors.length} error(s)`} aria-label={`${node.errors.length} error(s)`} />
                )}
              </button>
              <span class="waterfall-track">
                <span class={`waterfall-bar${failed ? " failed" : ""}`} style={{ left: `${Math.min(left, 99.7)}%`, width: `${width}%` }} />
              </span>
              <span class="waterfall-duration small">
                {formatMs(node.duration)}
                {failed ? ` · ${node.status}` : ""}
              </span>
            </li>
          );
        })}
      </ol>
      {rows.length > shown.length && <p class="muted small">{rows.length - shown.length} more spans are not drawn.</p>}
      {chosen !== undefined && (
        <aside class="card span-details" aria-label="Span details">
          <h2 class="wrap">
            {chosen.op} — {chosen.is_transaction ? chosen.name : chosen.description}
          </h2>
          <dl class="perf-numbers">
            <div>
              <dt class="muted small">Duration</dt>
              <dd>{formatMs(chosen.duration)}</dd>
            </div>
            <div>
              <dt class="muted small">Status</dt>
              <dd>{chosen.status}</dd>
            </div>
            <div>
              <dt class="muted small">Project</dt>
              <dd>{chosen.project_slug}</dd>
            </div>
            <div>
              <dt class="muted small">Span id</dt>
              <dd class="mono">{chosen.span_id}</dd>
            </div>
            <div>
              <dt class="muted small">Transaction</dt>
              <dd>{chosen.transaction ?? "—"}</dd>
            </div>
            <div>
              <dt class="muted small">Started</dt>
              <dd>{new Date(chosen.start_timestamp * 1000).toISOString()}</dd>
            </div>
          </dl>
          {Object.keys(chosen.data).length > 0 && (
            <table class="list">
              <tbody>
                {Object.entries(chosen.data).map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td class="wrap">{String(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {chosen.errors.length > 0 && (
            <ul>
              {chosen.errors.map((e) => (
                <li key={e.event_id}>
                  <Link href={issueHref(e)}>{e.title}</Link> <span class="muted small">{e.issue}</span>
                </li>
              ))}
            </ul>
          )}
        </aside>
      )}
    </div>
  );
}
