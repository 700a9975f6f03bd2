// The tests' side of the stand-in receivers (start-receivers.ts): URLs and what arrived.
import { inject } from "vitest";
import type { ReceivedRequest } from "./start-receivers";

export type { ReceivedRequest };

let counter = 0;

/** A key no other test uses, so each test reads only its own requests. */
export function receiverKey(label: string): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}`;
}

export function receiverUrl(
  behaviour: "ok" | "flaky" | "ratelimited" | "hang" | "gone" | "down",
  platform: "slack" | "discord" | "teams" | "webhook",
  key: string,
): string {
  return `${inject("alertReceiverUrl")}/${behaviour}/${platform}/${key}`;
}

export async function registerWebhookSecret(key: string, secret: string): Promise<void> {
  const res = await fetch(`${inject("alertReceiverUrl")}/__secret/${key}`, { method: "POST", body: secret });
  await res.arrayBuffer();
}

export async function receivedBy(key: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${inject("alertReceiverUrl")}/__log/${key}`);
  return (await res.json()) as ReceivedRequest[];
}
