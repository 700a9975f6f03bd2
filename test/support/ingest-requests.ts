/** Requests to the ingest Worker and reads of what the digest made of them, for the ingest-app tests. */
import { SELF, createExecutionContext, env } from "cloudflare:test";
import { vi } from "vitest";
import type { Env } from "../../protocol/env";
import type { IngestMessage } from "../../protocol/ingest-message";
import { ingestApp } from "../../worker/ingest-app";
import type { SeededKey } from "./seed";

export const BASE = "http://ingest.test";

export function envelopeUrl(key: SeededKey, path = "envelope/", query = `?sentry_key=${key.publicKey}&sentry_version=7`) {
  return `${BASE}/api/${key.projectId}/${path}${query}`;
}

export async function post(url: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(url, { method: "POST", body, headers });
  const text = await res.text();
  return { res, status: res.status, json: text ? JSON.parse(text) : null };
}

/** The real app with the real bindings, except those a test replaces (a failing queue or D1, a var). */
export async function callApp(url: string, init: RequestInit, overrides: Partial<Env> = {}) {
  const res = await ingestApp.fetch(new Request(url, { method: "POST", ...init }), { ...env, ...overrides }, createExecutionContext());
  const text = await res.text();
  return { res, status: res.status, json: text ? JSON.parse(text) : null };
}

/** A stand-in EVENTS queue that keeps what ingest sends, where the real one would deliver it to the consumer. */
export function recordingQueue() {
  const sent: Array<{ message: IngestMessage; options: unknown }> = [];
  const queue = {
    send: async (message: IngestMessage, options?: unknown) => {
      sent.push({ message, options });
    },
  } as unknown as Queue;
  return { queue, sent };
}

export async function gzip(text: string | Uint8Array, format: "gzip" | "deflate" | "deflate-raw" = "gzip"): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What the digest made of everything accepted for a project: events, transactions (by kind), sessions and other items, one row each. */
export async function receivedRows(projectId: number) {
  const { results } = await env.DB.prepare(
    `SELECT event_id, 'event' AS item_type, title, NULL AS body_key FROM events WHERE project_id = ?1
     UNION ALL SELECT event_id, item_type, NULL, body_key FROM stored_items WHERE project_id = ?1
     UNION ALL SELECT event_id, kind, name, body_key FROM trace_items WHERE project_id = ?1
     UNION ALL SELECT NULL, 'session', release, NULL FROM session_states WHERE project_id = ?1
     UNION ALL SELECT NULL, 'rejected:' || reason, detail, NULL FROM rejected_envelopes WHERE project_id = ?1`,
  )
    .bind(projectId)
    .all<{ event_id: string | null; item_type: string; title: string | null; body_key: string | null }>();
  return results;
}

/** Waits for the real local queue to deliver to the consumer. */
export async function waitForRows(projectId: number, count: number) {
  return vi.waitFor(
    async () => {
      const rows = await receivedRows(projectId);
      if (rows.length < count) throw new Error(`only ${rows.length} of ${count} rows`);
      return rows;
    },
    { timeout: 15_000, interval: 100 },
  );
}

export function envelope(header: object, ...items: Array<[object, string]>): string {
  return [JSON.stringify(header), ...items.flatMap(([h, p]) => [JSON.stringify(h), p])].join("\n");
}

export const EVENT_ID = "0123456789abcdef0123456789abcdef";
export const smallEvent = envelope({ event_id: EVENT_ID }, [{ type: "event" }, JSON.stringify({ message: "hi", level: "error" })]);
