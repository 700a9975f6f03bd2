import { inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { projects } from "../../db/schema";
import type { Env } from "../../protocol/env";
import type { OutcomeReason } from "../../protocol/outcome";
import { type IngestMessage, ingestMessageSchema } from "../../protocol/ingest-message";
import { MissingBodyError, loadBody } from "./load-body";
import type { DigestOutcome } from "./digest-outcome";
import { type DigestInput, persistDigest } from "./persist-digest";
import { type PreparedMessage, prepareMessage } from "./prepare-message";
import type { ScrubOptions } from "./items/error/scrub-event";
import { sourceFilesOfBatch } from "./items/error/find-source-files";
import type { SourceFilesOf } from "./items/error/prepare-error";
import { resolveCheckIns } from "./items/check-in/resolve-check-ins";
import { storeSpanTrees } from "./items/transaction/store-span-trees";

const RETRY_DELAY_SECONDS = 5;

/**
 * Consumer of the `events` queue: prepares every message (parse, normalize, scrub, fingerprint),
 * then persists the whole batch in one D1 transaction. If that fails, each message is persisted
 * alone, so one poison message cannot hold the others back: those that fail are retried by
 * Queues and, past max_retries, land in `events-dlq`, which records them.
 */
export async function digestEvents(batch: MessageBatch<unknown>, env: Env): Promise<DigestOutcome[]> {
  const scrubOf = scrubOptionsOfBatch(env.DB, batch.messages);
  const sourceFiles = sourceFilesOfBatch(env.DB, env.RAW);
  const prepared: Array<{ message: Message<unknown>; result: PreparedMessage }> = [];
  for (const message of batch.messages) {
    try {
      prepared.push({ message, result: await prepareQueued(message, env, scrubOf, sourceFiles) });
    } catch (err) {
      // Transient (R2 unavailable, say): let Queues retry this one message.
      console.error("digest: could not prepare message", message.id, err);
      message.retry({ delaySeconds: RETRY_DELAY_SECONDS });
    }
  }
  if (prepared.length === 0) return [];
  await settleCheckIns(
    env.DB,
    prepared.map((p) => p.result),
  );
  // One alert evaluation for the whole batch, however many runs it takes to write.
  const now = Date.now();
  const evaluationId = crypto.randomUUID();
  const input = merge(prepared.map((p) => p.result));
  try {
    // The batch's span trees, in one R2 object, before the rows that say where they are.
    await storeSpanTrees(input.traces, async (key, bytes) => void (await env.RAW.put(key, bytes)), now);
  } catch (err) {
    console.error("digest: could not store span trees, retrying the batch", err);
    for (const p of prepared) p.message.retry({ delaySeconds: RETRY_DELAY_SECONDS });
    return [];
  }
  try {
    const outcome = await persistDigest(env.DB, input, now, evaluationId);
    for (const p of prepared) p.message.ack();
    return [outcome];
  } catch (err) {
    console.error("digest: batch write failed, writing messages one by one", err);
  }
  const outcomes: DigestOutcome[] = [];
  for (const p of prepared) {
    try {
      outcomes.push(await persistDigest(env.DB, p.result, now, evaluationId));
      p.message.ack();
    } catch (err) {
      console.error("digest: message write failed", p.message.id, err);
      p.message.retry({ delaySeconds: RETRY_DELAY_SECONDS * p.message.attempts });
    }
  }
  return outcomes;
}

async function prepareQueued(
  message: Message<unknown>,
  env: Env,
  scrubOf: (projectId: number) => Promise<ScrubOptions>,
  sourceFiles: SourceFilesOf,
): Promise<PreparedMessage> {
  const parsed = ingestMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    const projectId = (message.body as { projectId?: unknown } | null)?.projectId;
    return rejected(message.id, typeof projectId === "number" ? projectId : 0, Date.now(), "invalid_message", parsed.error.message);
  }
  const m: IngestMessage = parsed.data;
  let body: Uint8Array;
  try {
    body = await loadBody(m, env.RAW);
  } catch (err) {
    if (err instanceof MissingBodyError) return rejected(message.id, m.projectId, m.receivedAt, "missing_body", err.message);
    throw err;
  }
  return prepareMessage(m, body, {
    messageId: message.id,
    scrub: () => scrubOf(m.projectId),
    storeBlob: async (key, bytes) => {
      await env.RAW.put(key, bytes);
    },
    sourceFiles,
  });
}

function rejected(messageId: string, projectId: number, receivedAt: number, reason: OutcomeReason, detail: string): PreparedMessage {
  return {
    events: [],
    checkIns: [],
    traces: [],
    feedback: [],
    sessions: [],
    sessionAggregates: [],
    items: [],
    rejections: [{ messageId, projectId, receivedAt, reason, detail: detail.slice(0, 1000), body: null, bodyKey: null }],
  };
}

function merge(parts: PreparedMessage[]): DigestInput {
  return {
    events: parts.flatMap((p) => p.events),
    checkIns: parts.flatMap((p) => p.checkIns),
    traces: parts.flatMap((p) => p.traces),
    feedback: parts.flatMap((p) => p.feedback),
    sessions: parts.flatMap((p) => p.sessions),
    sessionAggregates: parts.flatMap((p) => p.sessionAggregates),
    items: parts.flatMap((p) => p.items),
    rejections: parts.flatMap((p) => p.rejections),
  };
}

/**
 * The batch's check-ins against their monitors, read once (items/check-in/resolve-check-ins.ts):
 * those that cannot be kept become rejections of their message, with the reason.
 */
async function settleCheckIns(d1: D1Database, parts: PreparedMessage[]): Promise<void> {
  const all = parts.flatMap((p) => p.checkIns);
  if (all.length === 0) return;
  const { refused, notes } = await resolveCheckIns(d1, all);
  for (const part of parts) {
    for (const checkIn of part.checkIns) {
      const why = refused.get(checkIn) ?? notes.get(checkIn);
      if (why === undefined) continue;
      const { messageId, projectId, date } = checkIn;
      part.rejections.push({ messageId, projectId, receivedAt: date, reason: why.reason, detail: why.detail, body: null, bodyKey: null });
    }
    part.checkIns = part.checkIns.filter((c) => !refused.has(c));
  }
}

/**
 * Each project's data-scrubbing settings, read for the whole batch in one query when a message
 * first needs them (prepare-message.ts): a batch with nothing to scrub saves a D1 round trip.
 */
function scrubOptionsOfBatch(d1: D1Database, messages: readonly Message<unknown>[]): (projectId: number) => Promise<ScrubOptions> {
  let read: Promise<Map<number, ScrubOptions>> | undefined;
  return async (projectId) => {
    read ??= loadScrubOptions(d1, messages);
    return (await read).get(projectId) ?? { enabled: true, extraKeys: [] };
  };
}

async function loadScrubOptions(d1: D1Database, messages: readonly Message<unknown>[]): Promise<Map<number, ScrubOptions>> {
  const ids = [
    ...new Set(
      messages.map((m) => (m.body as { projectId?: unknown } | null)?.projectId).filter((id): id is number => typeof id === "number"),
    ),
  ];
  const out = new Map<number, ScrubOptions>();
  if (ids.length === 0) return out;
  const rows = await drizzle(d1)
    .select({ id: projects.id, enabled: projects.scrubEnabled, fields: projects.scrubFields })
    .from(projects)
    .where(inArray(projects.id, ids.slice(0, 100)));
  for (const r of rows) out.set(r.id, { enabled: r.enabled, extraKeys: Array.isArray(r.fields) ? r.fields : [] });
  return out;
}
