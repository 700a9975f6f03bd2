import type { Breadcrumb, Entry, Event, ExceptionValue, RequestEntry, Stacktrace } from "../api-types";
import { KeyValueTable, SCRUBBED, Value, pairsOf } from "./event-value";
import { RelativeTime, exactTime } from "./relative-time";
import { ProcessingErrors } from "./processing-errors";
import { StackTrace } from "./stack-trace";
import { Link, useLocation } from "../router";
import { useSession } from "../session";

/** One event's interfaces, in Sentry's order: message, exceptions, breadcrumbs, request, user, contexts, SDK. */
export function EventDetails({ event }: { event: Event }) {
  return (
    <div class="event-details">
      <ProcessingErrors errors={event.errors ?? []} />
      {event.entries.map((entry, i) => (
        <EntryView key={`${entry.type}-${i}`} entry={entry} />
      ))}
      {event.tags.length > 0 && (
        <section class="card" aria-labelledby="event-tags">
          <h2 id="event-tags">Tags</h2>
          <ul class="tag-pills">
            {event.tags.map((t) => (
              <li key={t.key}>
                <span class="tag-key">{t.key}</span>
                <span class="tag-value">
                  <Value value={t.value} />
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {event.user !== null && (
        <section class="card" aria-labelledby="event-user">
          <h2 id="event-user">User</h2>
          <KeyValueTable data={Object.fromEntries(Object.entries(event.user).filter(([, v]) => v !== null))} label="User" />
        </section>
      )}
      {Object.keys(event.contexts).length > 0 && (
        <section class="card" aria-labelledby="event-contexts">
          <h2 id="event-contexts">Contexts</h2>
          {Object.entries(event.contexts).map(([name, value]) => (
            <div key={name} class="context-block">
              <h3>{name}</h3>
              <KeyValueTable data={value} label={name} />
            </div>
          ))}
        </section>
      )}
      {Object.keys(event.context).length > 0 && (
        <section class="card" aria-labelledby="event-extra">
          <h2 id="event-extra">Additional data</h2>
          <KeyValueTable data={event.context} label="Additional data" />
        </section>
      )}
      {event.sdk !== null && (
        <section class="card" aria-labelledby="event-sdk">
          <h2 id="event-sdk">SDK</h2>
          <p>
            <Value value={event.sdk.name} /> <Value value={event.sdk.version} />
          </p>
        </section>
      )}
    </div>
  );
}

function EntryView({ entry }: { entry: Entry }) {
  switch (entry.type) {
    case "message": {
      const data = entry.data as { formatted: string | null; message: string | null };
      return (
        <section class="card" aria-labelledby="entry-message">
          <h2 id="entry-message">Message</h2>
          <pre class="message">{data.formatted ?? data.message ?? ""}</pre>
        </section>
      );
    }
    case "exception":
      return <Exceptions values={(entry.data as { values: ExceptionValue[] }).values} />;
    case "stacktrace":
      return (
        <section class="card" aria-labelledby="entry-stacktrace">
          <h2 id="entry-stacktrace">Stack trace</h2>
          <StackTrace stacktrace={entry.data as Stacktrace} />
        </section>
      );
    case "threads": {
      const threads = (
        entry.data as {
          values: Array<{ id: unknown; name: string | null; crashed: boolean; current: boolean; stacktrace: Stacktrace | null }>;
        }
      ).values;
      const shown = threads.filter((t) => t.stacktrace !== null && (t.crashed || t.current || threads.length === 1));
      if (shown.length === 0) return null;
      return (
        <section class="card" aria-labelledby="entry-threads">
          <h2 id="entry-threads">Threads</h2>
          {shown.map((t, i) => (
            <div key={i}>
              <h3>
                Thread <Value value={t.name ?? t.id} /> {t.crashed ? "(crashed)" : t.current ? "(current)" : ""}
              </h3>
              <StackTrace stacktrace={t.stacktrace!} />
            </div>
          ))}
        </section>
      );
    }
    case "breadcrumbs":
      return <Breadcrumbs crumbs={(entry.data as { values: Breadcrumb[] }).values} />;
    case "request":
      return <RequestView request={entry.data as RequestEntry} />;
    default:
      return null;
  }
}

/** The chain, the exception that was raised first on the page and what caused it after. */
function Exceptions({ values }: { values: ExceptionValue[] }) {
  const chain = [...values].reverse();
  return (
    <section class="card" aria-labelledby="entry-exception">
      <h2 id="entry-exception">Exception</h2>
      {chain.map((exception, i) => (
        <div key={i} class="exception">
          {i > 0 && <p class="chain-note muted">caused by</p>}
          <h3 class="exception-title">
            <span class="exception-type">{exception.type ?? "Error"}</span>
            {exception.value !== null && (
              <>
                {": "}
                <span class="exception-value">{exception.value}</span>
              </>
            )}
          </h3>
          {exception.mechanism !== null && (
            <p class="muted small">
              mechanism <Value value={exception.mechanism.type ?? "generic"} />
              {exception.mechanism.handled === false && <span class="badge unhandled">unhandled</span>}
            </p>
          )}
          {exception.stacktrace !== null && exception.stacktrace.frames.length > 0 && <StackTrace stacktrace={exception.stacktrace} />}
        </div>
      ))}
    </section>
  );
}

function Breadcrumbs({ crumbs }: { crumbs: Breadcrumb[] }) {
  const newestFirst = [...crumbs].reverse();
  return (
    <section class="card" aria-labelledby="entry-breadcrumbs">
      <h2 id="entry-breadcrumbs">Breadcrumbs</h2>
      <table class="list breadcrumbs">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Category</th>
            <th scope="col">Level</th>
            <th scope="col">Message and data</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((crumb, i) => (
            <tr key={i}>
              <td class="nowrap">
                {crumb.timestamp === null ? (
                  ""
                ) : (
                  <time dateTime={crumb.timestamp} title={exactTime(Date.parse(crumb.timestamp))}>
                    {new Date(crumb.timestamp).toLocaleTimeString()}
                  </time>
                )}
              </td>
              <td>
                <Value value={crumb.category ?? crumb.type} />
              </td>
              <td>
                <Value value={crumb.level} />
              </td>
              <td class="wrap">
                {crumb.message !== null && <div class="value">{crumb.message}</div>}
                {crumb.data !== null && crumb.data !== undefined && <KeyValueTable data={crumb.data} label="Breadcrumb data" />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function queryPairs(query: unknown): Array<[string, unknown]> {
  if (typeof query === "string") {
    return [...new URLSearchParams(query)].map(([k, v]): [string, unknown] => [k, v]);
  }
  return pairsOf(query);
}

function RequestView({ request }: { request: RequestEntry }) {
  const query = queryPairs(request.query);
  return (
    <section class="card" aria-labelledby="entry-request">
      <h2 id="entry-request">Request</h2>
      <p class="request-line">
        <strong>
          <Value value={request.method ?? "GET"} />
        </strong>{" "}
        <Value value={request.url ?? ""} />
      </p>
      {query.length > 0 && (
        <>
          <h3>Query</h3>
          <KeyValueTable data={query} label="Query string" />
        </>
      )}
      {request.data !== null && request.data !== undefined && (
        <>
          <h3>Body</h3>
          {typeof request.data === "object" ? <KeyValueTable data={request.data} label="Body" /> : <Value value={request.data} />}
        </>
      )}
      {pairsOf(request.headers).length > 0 && (
        <>
          <h3>Headers</h3>
          <KeyValueTable data={request.headers} label="Headers" />
        </>
      )}
      {pairsOf(request.cookies).length > 0 && (
        <>
          <h3>Cookies</h3>
          <KeyValueTable data={request.cookies} label="Cookies" />
        </>
      )}
      {request.env !== null && (
        <>
          <h3>Environment</h3>
          <KeyValueTable data={request.env} label="Environment" />
        </>
      )}
      {JSON.stringify(request).includes(SCRUBBED) && (
        <p class="muted small">Values shown as {SCRUBBED} were scrubbed before the event was stored.</p>
      )}
    </section>
  );
}

export function EventHeader({ event }: { event: Event }) {
  return (
    <p class="muted small">
      Event <code>{event.eventID}</code> · <RelativeTime iso={event.dateCreated} />
      {event.release !== null && (
        <>
          {" "}
          · release <Value value={event.release.version} />
        </>
      )}
      {event.environment !== null && (
        <>
          {" "}
          · <Value value={event.environment} />
        </>
      )}
      <TraceLink event={event} />
    </p>
  );
}

/**
 * The event's trace (`contexts.trace.trace_id`, which SDKs set on every event), in the
 * organization of the page, or the person's first one on an issue permalink.
 */
function TraceLink({ event }: { event: Event }) {
  const loc = useLocation();
  const session = useSession();
  const traceId = (event.contexts.trace as { trace_id?: unknown } | undefined)?.trace_id;
  const org =
    /^\/organizations\/([^/]+)\//.exec(loc.path)?.[1] ?? (session.status === "ready" ? session.current.organizations[0]?.slug : undefined);
  if (typeof traceId !== "string" || !/^[0-9a-f]{32}$/.test(traceId) || org === undefined) return null;
  const seconds = Math.floor(Date.parse(event.dateCreated) / 1000);
  const query = Number.isFinite(seconds) ? `?timestamp=${seconds}` : "";
  return (
    <>
      {" "}
      · <Link href={`/organizations/${org}/traces/${traceId}${query}`}>trace</Link>
    </>
  );
}
