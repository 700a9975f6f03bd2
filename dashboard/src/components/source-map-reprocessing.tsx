import { useEffect, useState } from "preact/hooks";
import { seg, send } from "../api-client";
import { FormError, errorText } from "./form-error";
import { RelativeTime } from "./relative-time";
import { useApi } from "../use-api";

/** `GET /api/0/issues/{id}/reprocessing/` (dashboard/api/issues/issue-reprocessing-routes.ts). */
interface Reprocessing {
  status: "none" | "pending" | "done";
  requestedAt: string | null;
  finishedAt: string | null;
  events: number;
  improved: number;
  eventsPerRequest: number;
  mapsUploadedAfter: string | null;
}

/** How often a pending request is looked at again: the minute job takes it within a minute. */
const POLL_MS = 5_000;

/**
 * For a JavaScript issue: says when source maps its latest event lacked were uploaded after it,
 * and offers "Reprocess", which maps the issue's latest events again with the maps present now.
 * The events stay in this issue (no regrouping). `onReprocessed` reloads the event shown.
 */
export function SourceMapReprocessing({ issueId, onReprocessed }: { issueId: string; onReprocessed: () => void }) {
  const path = `/api/0/issues/${seg(issueId)}/reprocessing/`;
  const state = useApi<Reprocessing>(path);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const data = state.data;

  useEffect(() => {
    if (data?.status !== "pending") return;
    const timer = setTimeout(() => state.reload(), POLL_MS);
    return () => clearTimeout(timer);
  }, [data?.status, data?.requestedAt, state.data]);
  useEffect(() => {
    if (data?.status === "done" && data.improved > 0) onReprocessed();
  }, [data?.status, data?.finishedAt]);

  if (data === null || (data.status === "none" && data.mapsUploadedAfter === null)) return null;
  const reprocess = async () => {
    setBusy(true);
    setError(null);
    try {
      await send("POST", path);
      state.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="notice" role="status" data-testid="source-map-reprocessing">
      {data.mapsUploadedAfter !== null && data.status !== "pending" && (
        <p>
          Source maps this event lacked were uploaded after it arrived (<RelativeTime iso={data.mapsUploadedAfter} />
          ). Events keep the frames they were stored with until they are reprocessed.
        </p>
      )}
      {data.status === "pending" && (
        <p>
          Reprocessing requested <RelativeTime iso={data.requestedAt!} />: the latest {data.eventsPerRequest} events are being mapped again…
        </p>
      )}
      {data.status === "done" && (
        <p>
          Reprocessed <RelativeTime iso={data.finishedAt!} />: {data.improved} of {data.events} events now have frames mapped that did not
          before.
        </p>
      )}
      {data.status !== "pending" && (
        <p>
          <button type="button" class="button" disabled={busy} onClick={reprocess}>
            Reprocess
          </button>{" "}
          <span class="muted">
            Maps the latest {data.eventsPerRequest} events of this issue again with the source maps uploaded now. They stay in this issue:
            titles and grouping do not change.
          </span>
        </p>
      )}
      <FormError error={error} />
    </div>
  );
}
