// `npm run bench:digest -- --profile`: where a digest's time goes. Runs the steps of
// prepareMessage one at a time over a whole batch (the clock ticks in milliseconds, too coarse
// for one message), then persistDigest: every other batch as in production (one D1 batch), the
// others split into one D1 batch per kind of statement, each timed. The split batches pay a D1
// call each and commit apart; the shares are what matter.
import { fingerprintEvent, type Grouping } from "../../queue-consumer/digest/items/error/fingerprint-event";
import { normalizeEvent, type NormalizedEvent } from "../../queue-consumer/digest/items/error/normalize-event";
import { parseEnvelope, parseItemJson } from "../../protocol/parse-envelope";
import { persistDigest } from "../../queue-consumer/digest/persist-digest";
import { encodeEventData } from "../../protocol/event-data";
import { emptyPreparedMessage, type PreparedEvent } from "../../queue-consumer/digest/prepare-message";
import { scrubNormalizedEvent } from "../../queue-consumer/digest/items/error/scrub-event";
import type { Env } from "../../protocol/env";
import { type IngestMessage, ingestMessageSchema } from "../../protocol/ingest-message";

export async function profileDigest(env: Env, nextBatch: () => IngestMessage[] | null) {
  const steps = new Map<string, number>();
  const time = async <T>(step: string, f: () => T | Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const out = await f();
    steps.set(step, (steps.get(step) ?? 0) + Date.now() - t0);
    return out;
  };
  const statements = new Map<string, { ms: number; runs: number; calls: number }>();
  const timedD1 = timeStatements(env.DB, statements);
  let events = 0;
  let batches = 0;
  for (let batch = nextBatch(); batch !== null; batch = nextBatch()) {
    const messages = batch;
    const valid = await time("validate message", () => messages.map((m) => ingestMessageSchema.parse(m)));
    const raws = await time("parse envelope + event JSON", () =>
      valid.map((m) => {
        const envelope = parseEnvelope(m.body!);
        return parseItemJson(envelope.items.find((i) => i.type === "event")!);
      }),
    );
    const normalized = await time("normalize", () =>
      raws.map((raw, i) => {
        const m = valid[i]!;
        const n = normalizeEvent(raw, { eventId: m.eventId, receivedAt: m.receivedAt, clientIp: m.clientIp });
        if (m.eventId) n.eventId = m.eventId;
        return n;
      }),
    );
    const scrubbed = await time("scrub", () =>
      normalized.map((n) => {
        const e = scrubNormalizedEvent(n, { enabled: true, extraKeys: [] });
        e.data.event_id = e.eventId;
        return e;
      }),
    );
    const groupings: Grouping[] = await time("fingerprint (components + SHA-256)", async () => {
      const out: Grouping[] = [];
      for (const e of scrubbed) out.push(await fingerprintEvent(e.data));
      return out;
    });
    const jsonBytes = await time("JSON.stringify of event data", () => scrubbed.map((e) => JSON.stringify(e.data).length));
    steps.set("(stored JSON bytes)", (steps.get("(stored JSON bytes)") ?? 0) + jsonBytes.reduce((a, b) => a + b, 0));
    const data = await time("gzip (encodeEventData: stringify + zlib)", async () => {
      const out: Uint8Array[] = [];
      for (const e of scrubbed) out.push(await encodeEventData(e.data));
      return out;
    });
    const prepared: PreparedEvent[] = scrubbed.map((event: NormalizedEvent, i) => ({
      projectId: valid[i]!.projectId,
      event,
      grouping: groupings[i]!,
      data: data[i]!,
    }));
    const input = { ...emptyPreparedMessage(), events: prepared };
    if (batches % 2 === 0) await time("persist (one D1 batch)", () => persistDigest(env.DB, input));
    else await persistDigest(timedD1, input);
    batches += 1;
    events += messages.length;
  }
  // What one D1 call costs with nothing to do, to read the per-statement figures against.
  const t0 = Date.now();
  for (let i = 0; i < 100; i++) await env.DB.prepare("SELECT 1").all();
  const roundTripMs = (Date.now() - t0) / 100;
  return {
    events,
    batches,
    steps: Object.fromEntries(steps),
    statements: [...statements].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.ms - a.ms),
    roundTripMs,
  };
}

/** A D1Database whose batch() runs each kind of statement apart, timing it by its SQL's opening. */
function timeStatements(d1: D1Database, into: Map<string, { ms: number; runs: number; calls: number }>): D1Database {
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  const wrapper = {
    prepare(query: string) {
      const statement = d1.prepare(query);
      const label = query
        .replace(/\s+/g, " ")
        .replace(/ VALUES .*/, " VALUES ...")
        .slice(0, 110);
      const bind = statement.bind.bind(statement);
      statement.bind = (...values: unknown[]) => {
        const bound = bind(...values);
        sqlOf.set(bound, label);
        return bound;
      };
      sqlOf.set(statement, label);
      return statement;
    },
    // Consecutive statements of one kind (the chunks of one multi-row INSERT) go as one D1 batch.
    async batch<T>(statements: D1PreparedStatement[]) {
      const results: D1Result<T>[] = [];
      for (let i = 0; i < statements.length;) {
        const label = sqlOf.get(statements[i]!) ?? "?";
        let j = i + 1;
        while (j < statements.length && sqlOf.get(statements[j]!) === label) j++;
        const t0 = Date.now();
        results.push(...(await d1.batch<T>(statements.slice(i, j))));
        const entry = into.get(label) ?? { ms: 0, runs: 0, calls: 0 };
        entry.ms += Date.now() - t0;
        entry.runs += j - i;
        entry.calls += 1;
        into.set(label, entry);
        i = j;
      }
      return results;
    },
  };
  return wrapper as unknown as D1Database;
}
