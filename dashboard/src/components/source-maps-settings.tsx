import { useState } from "preact/hooks";
import { send } from "../api-client";
import { useApi } from "../use-api";
import { FormError, errorText } from "./form-error";
import { RelativeTime } from "./relative-time";

/** A bundle as `GET /projects/{org}/{project}/files/artifact-bundles/` answers it. */
interface ArtifactBundle {
  bundleId: string;
  checksum: string;
  release: string | null;
  dist: string | null;
  debugIds: string[];
  fileCount: number;
  size: number;
  date: string;
}

/** `GET /projects/{org}/{project}/files/artifact-bundles/usage/`. */
interface SourceMapUsage {
  bundles: number;
  usedBytes: number;
  limitBytes: number;
  retentionDays: number;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** The space the bundles take against the project's limit, and how long unused ones are kept. */
function Usage({ usage }: { usage: SourceMapUsage }) {
  const share = usage.limitBytes > 0 ? Math.min(1, usage.usedBytes / usage.limitBytes) : 0;
  return (
    <p data-testid="source-map-usage">
      <label>
        Space used: <strong>{bytes(usage.usedBytes)}</strong> of {bytes(usage.limitBytes)} ({(share * 100).toFixed(share < 0.1 ? 1 : 0)}%){" "}
        <meter min={0} max={1} high={0.9} value={share}>
          {(share * 100).toFixed(0)}%
        </meter>
      </label>
      <br />
      <span class="muted">
        An upload past the limit is refused (sentry-cli prints why); delete bundles below to make room.{" "}
        {usage.retentionDays > 0
          ? `A bundle no event or upload has used for ${usage.retentionDays} days (the project's retention) is deleted.`
          : "Bundles are kept until deleted (the project keeps its data forever)."}
      </span>
    </p>
  );
}

/**
 * The project's source maps: the artifact bundles sentry-cli uploaded, newest first, with what
 * events are matched by (debug ids, or release and dist), and a delete. `base` is the project's
 * API path.
 */
export function SourceMapsSettings({ base }: { base: string }) {
  const list = useApi<ArtifactBundle[]>(`${base}/files/artifact-bundles/`);
  const usage = useApi<SourceMapUsage>(`${base}/files/artifact-bundles/usage/`);
  const [error, setError] = useState<string | null>(null);
  const remove = async (bundle: ArtifactBundle) => {
    if (!confirm(`Delete the bundle ${bundle.bundleId}? Events received from now on cannot use its maps.`)) return;
    setError(null);
    try {
      await send("DELETE", `${base}/files/artifact-bundles/?bundleId=${encodeURIComponent(bundle.bundleId)}`);
      list.reload();
      usage.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section class="card" aria-labelledby="source-maps-title">
      <h2 id="source-maps-title">Source maps</h2>
      <p class="muted">
        Upload a build's maps with <code>sentry-cli sourcemaps inject dist</code> then <code>sentry-cli sourcemaps upload dist</code>{" "}
        (matched by debug id), or <code>sentry-cli sourcemaps upload --release VERSION --url-prefix '~/dist' dist</code> (matched by release
        and URL). Events received before an upload keep their minified frames until their issue is reprocessed (Reprocess, on the issue's
        page).
      </p>
      {usage.data !== null && <Usage usage={usage.data} />}
      <FormError error={error ?? list.error ?? usage.error} />
      {list.data !== null && list.data.length === 0 && <p>No source maps uploaded yet.</p>}
      {list.data !== null && list.data.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Bundle</th>
              <th scope="col">Debug IDs</th>
              <th scope="col">Release</th>
              <th scope="col">Files</th>
              <th scope="col">Size</th>
              <th scope="col">Uploaded</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((bundle) => (
              <tr key={bundle.checksum}>
                <td>
                  <code title={`sha1 ${bundle.checksum}`}>{bundle.bundleId}</code>
                </td>
                <td>
                  {bundle.debugIds.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    bundle.debugIds.map((id) => (
                      <div key={id}>
                        <code>{id}</code>
                      </div>
                    ))
                  )}
                </td>
                <td>
                  {bundle.release ?? <span class="muted">none</span>}
                  {bundle.dist !== null && <span class="muted"> ({bundle.dist})</span>}
                </td>
                <td>{bundle.fileCount}</td>
                <td>{bytes(bundle.size)}</td>
                <td>
                  <RelativeTime iso={bundle.date} />
                </td>
                <td>
                  <button type="button" class="button" onClick={() => remove(bundle)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
