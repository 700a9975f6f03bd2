/**
 * An issue's "Reprocess" (dashboard/api/issues/, Sentry's POST /issues/{id}/reprocessing/): its
 * latest events go again through the project's source maps as they are now, for maps uploaded
 * after the events came. Run by the minute job, as the dashboard cannot run the digest's
 * symbolication. Unlike Sentry's reprocessing, the events stay in their issue: they are not
 * grouped again, and the issue keeps its title; each event's stored stack trace, context lines
 * and processing errors are what the maps say now.
 *
 * Each event starts again from its minified frames (`raw_stacktrace`, which the digest keeps
 * beside every mapped stack trace), so a frame mapped before is mapped the same way, and an event
 * is written back only when a frame maps that did not. Bounded: the latest
 * `REPROCESS_EVENTS_PER_ISSUE` events of `REPROCESS_ISSUES_PER_RUN` issues a run.
 */
import { type StoredBlob, encodeEventData, readEventData } from "../../protocol/event-data";
import { sourceFilesOfBatch } from "../digest/items/error/find-source-files";
import { symbolicateJavaScript } from "../digest/items/error/symbolicate-javascript";
import { type JsonRecord, isRecord, valuesOf } from "../digest/untrusted-json";

export const REPROCESS_EVENTS_PER_ISSUE = 100;
export const REPROCESS_ISSUES_PER_RUN = 2;
/** Updated events per D1 batch: each may bind up to 2 MB of event data. */
const UPDATES_PER_BATCH = 10;

export interface ReprocessReport {
  issues: number;
  events: number;
  improved: number;
}

export async function reprocessIssues(d1: D1Database, bucket: R2Bucket, now: number): Promise<ReprocessReport> {
  const report: ReprocessReport = { issues: 0, events: 0, improved: 0 };
  const { results: pending } = await d1
    .prepare(
      `SELECT r.issue_id AS issueId, r.requested_at AS requestedAt, i.project_id AS projectId
       FROM issue_reprocessing r LEFT JOIN issues i ON i.id = r.issue_id
       WHERE r.finished_at IS NULL ORDER BY r.requested_at LIMIT ?1`,
    )
    .bind(REPROCESS_ISSUES_PER_RUN)
    .all<{ issueId: number; requestedAt: number; projectId: number | null }>();
  const sourceFiles = sourceFilesOfBatch(d1, bucket, now);
  for (const request of pending) {
    let events = 0;
    let improved = 0;
    const files = request.projectId === null ? null : await sourceFiles(request.projectId);
    if (files !== null) {
      // events_by_issue, newest first.
      const { results } = await d1
        .prepare("SELECT id, data FROM events WHERE issue_id = ?1 ORDER BY timestamp DESC LIMIT ?2")
        .bind(request.issueId, REPROCESS_EVENTS_PER_ISSUE)
        .all<{ id: number; data: StoredBlob }>();
      const updates: D1PreparedStatement[] = [];
      for (const row of results) {
        events += 1;
        try {
          const { data } = await readEventData(row.data);
          if (!(await remapEvent(data, (event) => symbolicateJavaScript(event, files)))) continue;
          updates.push(d1.prepare("UPDATE events SET data = ?1 WHERE id = ?2").bind(await encodeEventData(data), row.id));
          improved += 1;
        } catch (err) {
          // An event that cannot be read again stays as it is.
          console.error("reprocessing: an event could not be mapped again", row.id, err);
        }
      }
      for (let i = 0; i < updates.length; i += UPDATES_PER_BATCH) await d1.batch(updates.slice(i, i + UPDATES_PER_BATCH));
    }
    // A request made meanwhile stays pending, for the maps uploaded since.
    await d1
      .prepare("UPDATE issue_reprocessing SET finished_at = ?1, events = ?2, improved = ?3 WHERE issue_id = ?4 AND requested_at = ?5")
      .bind(now, events, improved, request.issueId, request.requestedAt)
      .run();
    report.issues += 1;
    report.events += events;
    report.improved += improved;
  }
  return report;
}

/**
 * The stored event from its minified frames, through `symbolicate`; changes `data` and answers
 * true only when more frames map than before. Pure but for what `symbolicate` reads.
 */
export async function remapEvent(data: JsonRecord, symbolicate: (event: JsonRecord) => Promise<boolean>): Promise<boolean> {
  const containers = [...valuesOf(data.exception), ...valuesOf(data.threads)];
  const before = mappedFrames(containers);
  const fresh: JsonRecord = { ...data, errors: withoutSourceMapErrors(data.errors) };
  const freshContainers: JsonRecord[] = [];
  const restore = (list: unknown) => {
    if (!isRecord(list) || !Array.isArray(list.values)) return list;
    return {
      ...list,
      values: list.values.map((value: unknown) => {
        if (!isRecord(value)) return value;
        const copy: JsonRecord = { ...value };
        if (isRecord(value.raw_stacktrace)) {
          copy.stacktrace = value.raw_stacktrace;
          delete copy.raw_stacktrace;
        }
        freshContainers.push(copy);
        return copy;
      }),
    };
  };
  fresh.exception = restore(data.exception);
  fresh.threads = restore(data.threads);
  if (data.exception === undefined) delete fresh.exception;
  if (data.threads === undefined) delete fresh.threads;
  if ((fresh.errors as unknown[]).length === 0 && data.errors === undefined) delete fresh.errors;
  await symbolicate(fresh);
  if (mappedFrames(freshContainers) <= before) return false;
  for (const key of Object.keys(data)) delete data[key];
  Object.assign(data, fresh);
  if (Array.isArray(data.errors) && data.errors.length === 0) delete data.errors;
  return true;
}

/** Frames a source map changed: those that differ from the minified frame kept beside them. */
function mappedFrames(containers: JsonRecord[]): number {
  let count = 0;
  for (const container of containers) {
    if (!isRecord(container.raw_stacktrace) || !isRecord(container.stacktrace)) continue;
    const raw = Array.isArray(container.raw_stacktrace.frames) ? container.raw_stacktrace.frames : [];
    const frames = Array.isArray(container.stacktrace.frames) ? container.stacktrace.frames : [];
    frames.forEach((frame, i) => {
      if (JSON.stringify(frame) !== JSON.stringify(raw[i])) count += 1;
    });
  }
  return count;
}

/** The event's errors but those symbolication added (Sentry's `js_` types); it adds them again. */
function withoutSourceMapErrors(errors: unknown): unknown[] {
  if (!Array.isArray(errors)) return [];
  return errors.filter((e) => !(isRecord(e) && typeof e.type === "string" && e.type.startsWith("js_")));
}
