import type { EventError } from "../api-types";

/**
 * What processing could not do for this event, worded so that whoever uploads the source maps
 * can fix it: which file, debug id or release was looked for and not found, or what was wrong
 * with what was found. Sentry's error types (the event API's `errors`).
 */
export function ProcessingErrors({ errors }: { errors: EventError[] }) {
  if (errors.length === 0) return null;
  return (
    <section class="card processing-errors" aria-labelledby="event-processing-errors">
      <h2 id="event-processing-errors">Processing errors</h2>
      <ul>
        {errors.map((error, i) => (
          <li key={`${error.type}-${i}`}>
            <strong>{error.message}</strong> {explain(error)}
          </li>
        ))}
      </ul>
    </section>
  );
}

const text = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? String(value) : "?");

function explain({ type, data }: EventError): string {
  switch (type) {
    case "js_no_source":
      if (data.debug_id !== undefined)
        return `No source map was uploaded for ${text(data.url)} (debug id ${text(data.debug_id)}). Upload the build's maps with sentry-cli sourcemaps upload; events that arrived before them stay minified until the issue is reprocessed.`;
      if (data.release !== undefined)
        return `${text(data.url)} was not uploaded for release ${text(data.release)}${data.dist === undefined ? "" : `, dist ${text(data.dist)}`}. Check the --release, --dist and --url-prefix of sentry-cli sourcemaps upload; events that arrived before the upload stay minified until the issue is reprocessed.`;
      return `${text(data.url)} was not found.`;
    case "js_invalid_source":
      return `The source map ${text(data.url)} could not be read: it is not a valid source map.`;
    case "js_invalid_sourcemap_location":
      return `Line ${text(data.row)}, column ${text(data.column)} of ${text(data.source)} is outside its source map: the map is probably of another build.`;
    case "js_missing_sources_content":
      return `The source map ${text(data.sourcemap)} has no sourcesContent for ${text(data.source)}, so there is no source context.`;
    case "js_generic_fetch_error":
      return `${text(data.url)} could not be read from storage; later events will try again.`;
    default:
      return Object.keys(data).length === 0 ? "" : JSON.stringify(data);
  }
}
