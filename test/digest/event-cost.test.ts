import { createExecutionContext, createMessageBatch, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import { prepareMessage } from "../../queue-consumer/digest/prepare-message";
import type { Env } from "../../protocol/env";
import { ingestApp } from "../../worker/ingest-app";
import type { IngestMessage } from "../../protocol/ingest-message";
import { readdress, sdkEnvelopes } from "../support/fixtures";
import { seedProject } from "../support/seed";

// What one event costs: D1 rows from D1's own accounting (meta.rows_read and meta.rows_written,
// which are what Cloudflare bills) over full queue batches of captured SDK events, and the
// Worker's time for ingest and for preparing an event in the consumer. docs/operations.md turns
// these figures into prices; the bounds below catch a change that makes every event cost more.

const BATCH = 100; // the events consumer's max_batch_size (wrangler.toml)
const enc = new TextEncoder();
let sequence = 0;

/** The captured envelope with a fresh event id, and, when `variant` is given, its own fingerprint. */
function envelopeOf(template: string, variant?: number): string {
  const [header, itemHeader, payload] = template.split("\n");
  const eventId = crypto.randomUUID().replaceAll("-", "");
  const event = JSON.parse(payload!);
  event.event_id = eventId;
  if (variant !== undefined) event.exception.values[0].type = `CheckoutError${variant}`;
  return `${JSON.stringify({ ...JSON.parse(header!), event_id: eventId })}\n${itemHeader}\n${JSON.stringify(event)}\n`;
}

interface Cost {
  rowsRead: number;
  rowsWritten: number;
  statements: number;
  bytes: number;
}

/** Runs the events consumer on one batch, with D1 wrapped to add up what its batches report. */
async function digestBatch(projectId: number, envelopes: string[]): Promise<Cost> {
  const cost: Cost = { rowsRead: 0, rowsWritten: 0, statements: 0, bytes: 0 };
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const r of results) {
            cost.rowsRead += r.meta.rows_read ?? 0;
            cost.rowsWritten += r.meta.rows_written ?? 0;
          }
          cost.statements += statements.length;
          return results;
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const messages = envelopes.map((text) => {
    const body = enc.encode(text) as Uint8Array<ArrayBuffer>;
    cost.bytes += body.byteLength;
    sequence += 1;
    const message: IngestMessage = {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt: Date.now(),
      clientIp: "198.51.100.7",
      userAgent: "test",
      eventId: null,
      size: body.byteLength,
      body,
    };
    return { id: `cost-${sequence}`, timestamp: new Date(), attempts: 1, body: message };
  });
  const batch = createMessageBatch<IngestMessage>("events", messages);
  await digestEvents(batch as MessageBatch<unknown>, { ...env, DB: db } as Env);
  return cost;
}

const perEvent = (c: Cost) => ({
  rowsWritten: +(c.rowsWritten / BATCH).toFixed(2),
  rowsRead: +(c.rowsRead / BATCH).toFixed(2),
  statementsPerBatch: c.statements,
  bytesPerEvent: Math.round(c.bytes / BATCH),
});

describe("what an event costs in D1", () => {
  it("a batch of one recurring error (the common case)", async () => {
    const { projectId } = await seedProject();
    // The first batch creates the issue; the second is the steady state, measured.
    await digestBatch(
      projectId,
      Array.from({ length: BATCH }, () => envelopeOf(sdkEnvelopes.nodeException)),
    );
    const cost = perEvent(
      await digestBatch(
        projectId,
        Array.from({ length: BATCH }, () => envelopeOf(sdkEnvelopes.nodeException)),
      ),
    );
    const stored = await env.DB.prepare(
      "SELECT avg(length(data)) AS data, avg(length(tags) + length(title) + length(event_id) + length(ingest_batch) + 60) AS other FROM events WHERE project_id = ?",
    )
      .bind(projectId)
      .first<{ data: number; other: number }>();
    console.log(
      "recurring error, per event:",
      JSON.stringify({ ...cost, storedDataBytes: Math.round(stored!.data), otherColumnBytes: Math.round(stored!.other) }),
    );
    // The event row and its three indexes, plus a share of the batch's counter updates.
    expect(cost.rowsWritten).toBeGreaterThanOrEqual(4);
    expect(cost.rowsWritten).toBeLessThan(6);
    expect(cost.rowsRead).toBeLessThan(80);
  });

  it("a batch of 100 new issues (the worst case)", async () => {
    const { projectId } = await seedProject();
    const cost = perEvent(
      await digestBatch(
        projectId,
        Array.from({ length: BATCH }, (_, i) => envelopeOf(sdkEnvelopes.nodeException, i)),
      ),
    );
    console.log("new issue per event:", JSON.stringify(cost));
    expect(cost.rowsWritten).toBeLessThan(60);
    expect(cost.rowsRead).toBeLessThan(100);
  });

  it("a batch of browser errors", async () => {
    const { projectId } = await seedProject();
    await digestBatch(
      projectId,
      Array.from({ length: BATCH }, () => envelopeOf(sdkEnvelopes.browserException)),
    );
    const cost = perEvent(
      await digestBatch(
        projectId,
        Array.from({ length: BATCH }, () => envelopeOf(sdkEnvelopes.browserException)),
      ),
    );
    console.log("recurring browser error, per event:", JSON.stringify(cost));
    expect(cost.rowsWritten).toBeLessThan(6);
  });

  it("deleting an event when its retention ends", async () => {
    const { projectId } = await seedProject();
    await digestBatch(
      projectId,
      Array.from({ length: BATCH }, () => envelopeOf(sdkEnvelopes.nodeException)),
    );
    const deleted = await env.DB.prepare("DELETE FROM events WHERE project_id = ?").bind(projectId).run();
    const rowsWritten = (deleted.meta.rows_written ?? 0) / BATCH;
    console.log("retention delete, per event:", JSON.stringify({ rowsWritten }));
    expect(rowsWritten).toBeLessThan(6);
  });
});

describe("what an event costs in Worker time", () => {
  // Wall time with no I/O in the measured part, in workerd: close to CPU time, which Workers
  // bill. Reported, not bounded: a busy machine stretches it several times over.
  const timed = async (runs: number, f: () => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await f();
    const start = performance.now();
    for (let i = 0; i < runs; i++) await f();
    return (performance.now() - start) / runs;
  };

  it("ingest: one request, up to the enqueue", async () => {
    const key = await seedProject();
    const body = readdress(sdkEnvelopes.nodeException, key.publicKey, key.projectId);
    const quietEnv = { ...env, EVENTS: { send: async () => {} } as unknown as Queue } as Env;
    const ms = await timed(200, async () => {
      const res = await ingestApp.fetch(
        new Request(`https://ingest.example/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}&sentry_version=7`, {
          method: "POST",
          body,
        }),
        quietEnv,
        createExecutionContext(),
      );
      expect(res.status).toBe(200);
    });
    console.log("ingest, ms per request:", ms.toFixed(3));
    expect(ms).toBeGreaterThan(0);
  });

  it("digest: parse, normalize, scrub, fingerprint and compress one event", async () => {
    const { projectId } = await seedProject();
    const ms = await timed(200, async () => {
      const body = enc.encode(envelopeOf(sdkEnvelopes.nodeException));
      const message: IngestMessage = {
        v: 1,
        kind: "envelope",
        projectId,
        keyId: 1,
        receivedAt: Date.now(),
        clientIp: null,
        userAgent: null,
        eventId: null,
        size: body.byteLength,
        body: body as Uint8Array<ArrayBuffer>,
      };
      const prepared = await prepareMessage(message, body, {
        messageId: "m",
        scrub: { enabled: true, extraKeys: [] },
        storeBlob: async () => {},
      });
      expect(prepared.events).toHaveLength(1);
    });
    console.log("digest, ms per event:", ms.toFixed(3));
    expect(ms).toBeGreaterThan(0);
  });
});
