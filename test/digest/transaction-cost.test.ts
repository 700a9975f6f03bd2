import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../protocol/env";
import { seedProject } from "../support/seed";
import { digest, ingestMessage, segmentEnvelope, transactionEnvelope } from "../support/transaction-envelopes";

// What one transaction costs in D1 rows written (meta.rows_written, what Cloudflare bills), over
// full queue batches: the index row, plus a share of the batch's rollup updates. The bounds catch
// a change that makes every transaction cost more (an index on trace_items, say).

const BATCH = 100;

async function rowsWritten(projectId: number, envelopes: string[]): Promise<{ perTransaction: number; statements: number }> {
  let written = 0;
  let statements = 0;
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch") {
        return async (list: D1PreparedStatement[]) => {
          const results = await target.batch(list);
          for (const r of results) written += r.meta.rows_written ?? 0;
          statements += list.length;
          return results;
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  await digest(
    envelopes.map((e) => ingestMessage(projectId, e)),
    { DB: db } as Partial<Env>,
  );
  return { perTransaction: +(written / envelopes.length).toFixed(2), statements };
}

const NAMES = ["GET /orders", "GET /orders/:id", "POST /checkout", "GET /health", "GET /search"];

describe("what a transaction costs in D1", () => {
  // As in production after the minute job's first run: the recent totals take every hour from
  // their start on (queue-consumer/jobs/advance-recent-transactions.ts), one row more per key.
  beforeAll(async () => {
    await env.DB.prepare("INSERT INTO transaction_recent_since (id, hour) VALUES (1, 0) ON CONFLICT (id) DO NOTHING").run();
  });

  it("a span stream: segments with 10 spans each, over a few names (the common case)", async () => {
    const { projectId } = await seedProject();
    const batch = () =>
      Array.from({ length: BATCH }, (_, i) => segmentEnvelope({ name: NAMES[i % NAMES.length], durationMs: 20 + (i % 50), children: 10 }));
    await rowsWritten(projectId, batch()); // creates the hour's rollup rows
    const cost = await rowsWritten(projectId, batch());
    console.log("segment spans, per transaction:", JSON.stringify(cost));
    expect(cost.perTransaction).toBeLessThanOrEqual(1.2);
  });

  it("transaction items (python3-sentry-sdk's Django transaction), over a few names", async () => {
    const { projectId } = await seedProject();
    const batch = () =>
      Array.from({ length: BATCH }, (_, i) => transactionEnvelope({ name: NAMES[i % NAMES.length], durationMs: 20 + (i % 50) }));
    await rowsWritten(projectId, batch());
    const cost = await rowsWritten(projectId, batch());
    console.log("transaction items, per transaction:", JSON.stringify(cost));
    expect(cost.perTransaction).toBeLessThanOrEqual(1.2);
  });

  it("every transaction a name of its own (the worst case: a new rollup row each)", async () => {
    const { projectId } = await seedProject();
    const cost = await rowsWritten(
      projectId,
      Array.from({ length: BATCH }, (_, i) => segmentEnvelope({ name: `GET /item/${i}-${Math.random()}`, durationMs: 30, children: 10 })),
    );
    console.log("distinct names, per transaction:", JSON.stringify(cost));
    // The index row, the rollup row and its name index entry, and the recent totals' row.
    expect(cost.perTransaction).toBeLessThanOrEqual(4.1);
  });
});
