// Session envelopes shaped like the captured SDK requests, moved to a given time: the digest
// refuses sessions that started more than five days before they arrive.
import { sdkEnvelopes } from "./fixtures";

/** The envelope with every `started` and `timestamp` of its session items set to `at` (ms). */
export function sessionsAt(envelope: string, at = Date.now()): string {
  const iso = new Date(at).toISOString();
  return envelope.replace(/"(started|timestamp)":"[^"]*"/g, (_, field: string) => `"${field}":"${iso}"`);
}

/** @sentry/node's session update (init, ok, one error), started at `at`. */
export function nodeSessionAt(at = Date.now()): string {
  return sessionsAt(sdkEnvelopes.nodeSession, at);
}
