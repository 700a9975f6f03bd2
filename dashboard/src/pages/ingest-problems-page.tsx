import { useState } from "preact/hooks";
import { seg } from "../api-client";
import { FormError } from "../components/form-error";
import { RelativeTime } from "../components/relative-time";
import { Link } from "../router";
import { useApi } from "../use-api";

interface Problem {
  id: string;
  messageId: string;
  dateReceived: string;
  reason: string;
  detail: string;
  size: number | null;
  queue?: string;
  attempts?: number;
}

/** A reason ingest refused requests for, summed over the period (dashboard/api/ingest-problems/). */
interface Refusal {
  reason: string;
  status: number;
  count: number;
  lastSeen: string | null;
  detail: string;
}

const REFUSAL_PERIODS = [
  { id: "24h", label: "24 hours" },
  { id: "7d", label: "7 days" },
  { id: "30d", label: "30 days" },
] as const;

/**
 * Requests ingest refused for their content (counted, never stored), envelopes the digest
 * rejected, and messages that ended in a dead-letter queue, with why.
 */
export function IngestProblemsPage({ org, project }: { org: string; project: string }) {
  const base = `/api/0/projects/${seg(org)}/${seg(project)}`;
  return (
    <section aria-labelledby="problems-title">
      <div class="page-head">
        <h1 id="problems-title">{project}: ingest problems</h1>
        <Link href={`/organizations/${seg(org)}/projects/${seg(project)}/settings`}>Settings</Link>
      </div>
      <p class="muted">What reached Faultline but did not become an event. Nothing here is retried by itself.</p>
      <RefusalTable path={`${base}/ingest-refusals/`} />
      <ProblemTable title="Rejected envelopes" path={`${base}/rejected-envelopes/`} empty="No envelope was rejected." />
      <ProblemTable title="Dead letters" path={`${base}/dead-letters/`} empty="No message reached a dead-letter queue." />
    </section>
  );
}

/** Refusals by reason: a client whose every event is refused (an old SDK's encoding, a body over the limit) shows here. */
function RefusalTable({ path }: { path: string }) {
  const [period, setPeriod] = useState<(typeof REFUSAL_PERIODS)[number]["id"]>("7d");
  const list = useApi<Refusal[]>(`${path}?statsPeriod=${period}`);
  const total = list.data?.reduce((n, r) => n + r.count, 0) ?? 0;
  const periodLabel = REFUSAL_PERIODS.find((p) => p.id === period)?.label;
  return (
    <section class="card" aria-labelledby="refused-at-ingest">
      <div class="page-head">
        <h2 id="refused-at-ingest">Refused at ingest</h2>
        <div role="group" aria-label="Refusals period" class="segmented">
          {REFUSAL_PERIODS.map((p) => (
            <button key={p.id} type="button" class="button small" aria-pressed={period === p.id} onClick={() => setPeriod(p.id)}>
              {p.id}
            </button>
          ))}
        </div>
      </div>
      <p class="muted small">
        Requests from this project's keys that ingest answered with 400 or 413 for what they carried: counted, the bodies not kept.
      </p>
      <FormError error={list.error} />
      {list.data !== null && list.data.length === 0 && <p>No request was refused in the last {periodLabel}.</p>}
      {list.data !== null && list.data.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col" class="num">
                Requests
              </th>
              <th scope="col">Last</th>
              <th scope="col">Latest detail</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((r) => (
              <tr key={r.reason}>
                <td>
                  <code>{r.reason}</code> <span class="muted small">{r.status}</span>
                </td>
                <td class="num">{r.count}</td>
                <td>
                  <RelativeTime iso={r.lastSeen} />
                </td>
                <td class="wrap">{r.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data !== null && list.data.length > 0 && (
        <p class="muted small">
          {total} {total === 1 ? "request" : "requests"} refused in the last {periodLabel}.
        </p>
      )}
    </section>
  );
}

function ProblemTable({ title, path, empty }: { title: string; path: string; empty: string }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useApi<Problem[]>(cursor === null ? path : `${path}?cursor=${encodeURIComponent(cursor)}`);
  const id = title.toLowerCase().replaceAll(" ", "-");
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <FormError error={list.error} />
      {list.data !== null && list.data.length === 0 && <p>{empty}</p>}
      {list.data !== null && list.data.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Reason</th>
              <th scope="col">Detail</th>
              <th scope="col">Message</th>
              <th scope="col" class="num">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr key={p.id}>
                <td>
                  <RelativeTime iso={p.dateReceived} />
                </td>
                <td>
                  <code>{p.reason}</code>
                </td>
                <td class="wrap">{p.detail}</td>
                <td>
                  <code class="small">{p.messageId}</code>
                </td>
                <td class="num">{p.size === null ? "in bucket" : `${p.size} B`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button
          type="button"
          class="button small"
          disabled={!list.links.previous?.results}
          onClick={() => setCursor(list.links.previous!.cursor)}
        >
          Newer
        </button>
        <button type="button" class="button small" disabled={!list.links.next?.results} onClick={() => setCursor(list.links.next!.cursor)}>
          Older
        </button>
      </div>
    </section>
  );
}
