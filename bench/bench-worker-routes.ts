// What the bench Workers (bench/<name>/worker.ts) share: a fetch handler made from a table of
// routes, the queue message ingest would send for an envelope, the events queue consumer
// (digestEvents) called on in-memory batches of such messages with D1's rows written added up,
// and the ceiling: plain multi-row INSERTs into a scratch table of the same D1.
import type { Env } from "../protocol/env";
import type { IngestMessage } from "../protocol/ingest-message";
import { digestEvents } from "../queue-consumer/digest/digest-events";

/** A route: what it answers is sent as JSON, unless it is a Response already. */
export type BenchRoute = (env: Env, request: Request) => unknown;

/** A route whose POST body is JSON, handed over parsed. */
export function withJsonBody<T>(route: (env: Env, body: T) => unknown): BenchRoute {
  return async (env, request) => route(env, (await request.json()) as T);
}

/** A bench Worker's handler: routes keyed "POST /path" or "GET /path" (a GET route answers any method); 404 elsewhere. */
export function benchRoutes(routes: Record<string, BenchRoute>): ExportedHandler<Env> {
  return {
    async fetch(request, env) {
      const { pathname } = new URL(request.url);
      const route = routes[`${request.method === "POST" ? "POST" : "GET"} ${pathname}`] ?? routes[`GET ${pathname}`];
      if (route === undefined) return new Response("not found", { status: 404 });
      const answer = await route(env, request);
      return answer instanceof Response ? answer : Response.json(answer);
    },
  };
}

const enc = new TextEncoder();

/** The queue message ingest would send for `envelope`; the fields ingest fills from the request are given or null. */
export function ingestMessageOf(
  envelope: string,
  projectId: number,
  from: { receivedAt?: number; clientIp?: string | null; userAgent?: string | null; eventId?: string | null } = {},
): IngestMessage {
  // TextEncoder always answers a fresh ArrayBuffer; its typing allows a shared one.
  const body = enc.encode(envelope) as Uint8Array<ArrayBuffer>;
  return {
    v: 1,
    kind: "envelope",
    projectId,
    keyId: 1,
    receivedAt: from.receivedAt ?? Date.now(),
    clientIp: from.clientIp ?? null,
    userAgent: from.userAgent ?? null,
    eventId: from.eventId ?? null,
    size: body.byteLength,
    body,
  };
}

/** What a delivery of message `n` carries: its body, and the id and attempts Queues gives it. */
export interface Delivery {
  body: IngestMessage;
  /** Default: a fresh one. */
  id?: string;
  /** Default: 1. */
  attempts?: number;
}

export interface DigestFigures {
  acked: number;
  retried: number;
  /** Building the batches (the bytes Queues would hand over). */
  buildMs: number;
  /** digestEvents on them: what the rate counts. */
  digestMs: number;
  /** D1's meta.rows_written of the batches the digest ran; 0 unless `countRows`. */
  rowsWritten: number;
}

/**
 * Digests messages [0, count) in batches of `batchSize`, as Queues delivers them. Building a
 * batch is timed apart from digesting it. With `countRows`, digestEvents gets a D1 binding that
 * adds up the rows each of its D1 batches writes.
 */
export async function digestInBatches(
  env: Env,
  req: { count: number; batchSize: number; countRows: boolean },
  deliveryOf: (n: number) => Delivery,
): Promise<DigestFigures> {
  const figures: DigestFigures = { acked: 0, retried: 0, buildMs: 0, digestMs: 0, rowsWritten: 0 };
  const digestEnv = req.countRows ? { ...env, DB: rowsWrittenCounted(env.DB, figures) } : env;
  for (let built = 0; built < req.count;) {
    const t0 = Date.now();
    const messages: Message<IngestMessage>[] = [];
    for (; messages.length < req.batchSize && built < req.count; built++) {
      const { body, id = crypto.randomUUID(), attempts = 1 } = deliveryOf(built);
      messages.push({
        id,
        timestamp: new Date(),
        attempts,
        body,
        ack: () => void figures.acked++,
        retry: () => void figures.retried++,
      });
    }
    const batch: MessageBatch<IngestMessage> = {
      queue: "events",
      messages,
      metadata: { metrics: { backlogCount: req.count - built, backlogBytes: 0 } },
      ackAll: () => void (figures.acked += messages.length),
      retryAll: () => void (figures.retried += messages.length),
    };
    const t1 = Date.now();
    await digestEvents(batch as MessageBatch<unknown>, digestEnv);
    figures.digestMs += Date.now() - t1;
    figures.buildMs += t1 - t0;
  }
  return figures;
}

/** `db` with D1's meta.rows_written of every batch run through it added to `into`. */
function rowsWrittenCounted(db: D1Database, into: { rowsWritten: number }): D1Database {
  return new Proxy(db, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const r of results) into.rowsWritten += r.meta.rows_written ?? 0;
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * `db` with each D1 batch run one statement at a time, each its own D1 call: `run(sql, i, call)`
 * makes statement i's call (to time it) and answers its results. For profiles.
 */
export function splitBatches(
  db: D1Database,
  run: (sql: string, i: number, call: () => Promise<D1Result[]>) => Promise<D1Result[]>,
): D1Database {
  return new Proxy(db, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results: D1Result[] = [];
          for (const [i, statement] of statements.entries()) {
            const sql = (statement as unknown as { statement?: string }).statement ?? "?";
            results.push(...(await run(sql, i, () => target.batch([statement]))));
          }
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export interface CeilingRequest {
  count: number;
  batchSize: number;
  rowBytes: number;
}

// D1 allows 100 bound parameters per statement (https://developers.cloudflare.com/d1/platform/limits/).
const MAX_PARAMS = 100;

/**
 * The ceiling: `count` plain rows into a scratch table, one D1 batch per `batchSize` rows, each
 * statement a multi-row INSERT within D1's parameter limit. The rows' data cycles through 64
 * values of `rowBytes` that `dataOf` makes (the column `type` it is stored as), drawn before the
 * clock starts.
 */
export async function runCeiling(
  db: D1Database,
  req: CeilingRequest,
  data: { type: "BLOB" | "TEXT"; dataOf: (i: number, rowBytes: number) => Uint8Array | string },
) {
  await db.exec(`CREATE TABLE IF NOT EXISTS bench_ceiling (id INTEGER PRIMARY KEY, batch TEXT NOT NULL, data ${data.type} NOT NULL)`);
  const pool = Array.from({ length: 64 }, (_, i) => data.dataOf(i, req.rowBytes));
  const rowsPerStatement = Math.floor(MAX_PARAMS / 2);
  let inserted = 0;
  const started = Date.now();
  while (inserted < req.count) {
    const batchId = crypto.randomUUID();
    const size = Math.min(req.batchSize, req.count - inserted);
    const statements: D1PreparedStatement[] = [];
    for (let offset = 0; offset < size; offset += rowsPerStatement) {
      const n = Math.min(rowsPerStatement, size - offset);
      const params: unknown[] = [];
      for (let i = 0; i < n; i++) params.push(batchId, pool[(inserted + offset + i) % pool.length]);
      statements.push(db.prepare(`INSERT INTO bench_ceiling (batch, data) VALUES ${Array(n).fill("(?, ?)").join(", ")}`).bind(...params));
    }
    await db.batch(statements);
    inserted += size;
  }
  return { rows: inserted, ms: Date.now() - started };
}

/** `n` random hex digits. */
export function randomHex(n: number): string {
  let out = "";
  while (out.length < n) out += crypto.randomUUID().replaceAll("-", "");
  return out.slice(0, n);
}
