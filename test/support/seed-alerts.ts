// Alert rules and the events that set them off, for the alert tests: events are the real
// @sentry/node capture (test/fixtures/sdk-requests/node-2.envelope), a SyntaxError sent to
// production, with release, user, tags and level varied per test.
import { createMessageBatch, env } from "cloudflare:test";
import type { AlertFilter, AlertTargetType, AlertTrigger } from "../../db/alert-rule-definition";
import type { AlertQueueMessage } from "../../protocol/alert-queue-message";
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import type { IngestMessage } from "../../protocol/ingest-message";
import { envelopeEvent } from "../fixtures/grouping/sdk-events";

export type QueuedIngestMessage = Parameters<typeof createMessageBatch<IngestMessage>>[1][number];

export interface EventChanges {
  environment?: string;
  release?: string;
  user?: string | null;
  tags?: Record<string, string>;
  /** A client fingerprint: events with another variant make another issue. */
  variant?: string;
  level?: string;
}

let messageCounter = 0;

/** An `events` queue message carrying one error envelope. */
export function envelopeMessage(
  projectId: number,
  changes: EventChanges = {},
  eventId = crypto.randomUUID().replaceAll("-", ""),
): QueuedIngestMessage {
  const event = envelopeEvent("node-2");
  event.event_id = eventId;
  event.timestamp = Date.now() / 1000;
  event.environment = changes.environment ?? "production";
  if (changes.release !== undefined) event.release = changes.release;
  if (changes.user !== undefined) event.user = changes.user === null ? undefined : { id: changes.user };
  if (changes.tags !== undefined) event.tags = changes.tags;
  if (changes.level !== undefined) event.level = changes.level;
  if (changes.variant !== undefined) event.fingerprint = [changes.variant];
  const body = new TextEncoder().encode(`${JSON.stringify({ event_id: eventId })}\n{"type":"event"}\n${JSON.stringify(event)}\n`);
  messageCounter += 1;
  return {
    id: `alert-event-${Date.now()}-${messageCounter}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt: Date.now(),
      clientIp: "198.51.100.7",
      userAgent: "sentry.javascript.node/11.12.0",
      eventId,
      size: body.byteLength,
      body,
    },
  };
}

/** The events consumer's digest of some messages, without the alert evaluation after it. */
export async function digest(messages: QueuedIngestMessage[]) {
  return digestEvents(createMessageBatch<IngestMessage>("events", messages) as MessageBatch<unknown>, env);
}

/** A queue that keeps what is sent to it; `failSendBatch` makes its sendBatch throw that many times. */
export function recordingQueue(options: { failSendBatch?: number } = {}) {
  const sent: AlertQueueMessage[] = [];
  let failures = options.failSendBatch ?? 0;
  const queue = {
    async send(body: AlertQueueMessage) {
      sent.push(body);
    },
    async sendBatch(messages: Array<{ body: AlertQueueMessage }>) {
      if (failures > 0) {
        failures -= 1;
        throw new Error("queue unavailable");
      }
      sent.push(...messages.map((m) => m.body));
    },
  };
  return { queue: queue as unknown as Queue, sent };
}

export interface TargetSpec {
  type: AlertTargetType;
  url?: string;
  address?: string;
  secret?: string;
}

export interface RuleSpec {
  name?: string;
  triggers: AlertTrigger[];
  filters?: AlertFilter[];
  match?: "any" | "all";
  frequencyMinutes?: number;
  targets?: TargetSpec[];
}

/** A rule and its targets, stored as the API stores them. */
export async function insertRule(projectId: number, spec: RuleSpec): Promise<{ ruleId: number; targetIds: number[] }> {
  const now = Date.now();
  const rule = await env.DB.prepare(
    "INSERT INTO alert_rules (project_id, name, match, triggers, filters, frequency_minutes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
  )
    .bind(
      projectId,
      spec.name ?? "Checkout errors",
      spec.match ?? "any",
      JSON.stringify(spec.triggers),
      JSON.stringify(spec.filters ?? []),
      spec.frequencyMinutes ?? 30,
      now,
      now,
    )
    .first<{ id: number }>();
  const targetIds: number[] = [];
  for (const target of spec.targets ?? [{ type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" }]) {
    const row = await env.DB.prepare(
      "INSERT INTO alert_targets (rule_id, type, url, address, secret, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
      .bind(rule!.id, target.type, target.url ?? null, target.address ?? null, target.secret ?? null, now)
      .first<{ id: number }>();
    targetIds.push(row!.id);
  }
  return { ruleId: rule!.id, targetIds };
}
