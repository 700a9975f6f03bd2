import { useState } from "preact/hooks";
import type { Frame, Stacktrace } from "../api-types";
import { KeyValueTable } from "./event-value";

/**
 * A stack trace, most recent call first (as Sentry shows it). The application's own frames
 * open with their source lines and local variables; library and runtime frames stay folded.
 */
export function StackTrace({ stacktrace }: { stacktrace: Stacktrace }) {
  const [showAll, setShowAll] = useState(false);
  const frames = [...stacktrace.frames].reverse();
  const hasInApp = frames.some((f) => f.inApp);
  const hidden = hasInApp && !showAll ? frames.filter((f) => !f.inApp).length : 0;
  return (
    <div class="stacktrace">
      {hasInApp && stacktrace.hasSystemFrames && (
        <button type="button" class="button small" aria-pressed={showAll} onClick={() => setShowAll((v) => !v)}>
          {showAll ? "Show only application frames" : `Show all frames (${hidden} more)`}
        </button>
      )}
      <ol class="frames">
        {frames.map((frame, i) =>
          !hasInApp || showAll || frame.inApp ? (
            <li key={i}>
              <FrameView frame={frame} />
            </li>
          ) : null,
        )}
      </ol>
    </div>
  );
}

function where(frame: Frame): string {
  const file = frame.filename ?? frame.absPath ?? frame.module ?? "?";
  const line = frame.lineNo === null ? "" : `:${frame.lineNo}${frame.colNo === null ? "" : `:${frame.colNo}`}`;
  return `${file}${line}`;
}

function FrameView({ frame }: { frame: Frame }) {
  const hasBody = frame.context.length > 0 || (frame.vars !== null && Object.keys(frame.vars).length > 0);
  const summary = (
    <>
      <span class="frame-file">{where(frame)}</span>
      {frame.function !== null && (
        <>
          {" in "}
          <span class="frame-function">{frame.function}</span>
        </>
      )}
      {frame.inApp ? (
        <span class="badge in-app">in app</span>
      ) : frame.package !== null ? (
        <span class="muted small"> {frame.package}</span>
      ) : null}
    </>
  );
  if (!hasBody) return <div class={`frame ${frame.inApp ? "in-app" : "system"}`}>{summary}</div>;
  return (
    <details class={`frame ${frame.inApp ? "in-app" : "system"}`} open={frame.inApp}>
      <summary>{summary}</summary>
      {frame.context.length > 0 && (
        <ol class="context" aria-label="Source lines">
          {frame.context.map(([n, text]) => (
            <li key={n} class={n === frame.lineNo ? "current" : ""} value={n}>
              <span class="lineno" aria-hidden="true">
                {n}
              </span>
              <code>{text}</code>
            </li>
          ))}
        </ol>
      )}
      {frame.vars !== null && Object.keys(frame.vars).length > 0 && (
        <div class="vars">
          <h4>Local variables</h4>
          <KeyValueTable data={frame.vars} label="Local variables" />
        </div>
      )}
    </details>
  );
}
