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

/** Envelopes the digest rejected and messages that ended in a dead-letter queue, with why. */
export function IngestProblemsPage({ org, project }: { org: string; project: string }) {
  const base = `/api/0/projects/${seg(org)}/${seg(project)}`;
  return (
    <section aria-labelledby="problems-title">
      <div class="page-head">
        <h1 id="problems-title">{project}: ingest problems</h1>
        <Link href={`/organizations/${seg(org)}/projects/${seg(project)}/settings`}>Settings</Link>
      </div>
      <p class="muted">What reached Faultline but did not become an event. Nothing here is retried by itself.</p>
      <ProblemTable title="Rejected envelopes" path={`${base}/rejected-envelopes/`} empty="No envelope was rejected." />
      <ProblemTable title="Dead letters" path={`${base}/dead-letters/`} empty="No message reached a dead-letter queue." />
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
