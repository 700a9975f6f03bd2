// Request bodies captured from the real @sentry/node and @sentry/browser 11.12.0 (project 42, key "publickey").
import browser2 from "../fixtures/sdk-requests/browser-2.envelope?raw";
import browser9 from "../fixtures/sdk-requests/browser-9.envelope?raw";
import node1 from "../fixtures/sdk-requests/node-1.envelope?raw";
import node2 from "../fixtures/sdk-requests/node-2.envelope?raw";
import node6 from "../fixtures/sdk-requests/node-6.envelope?raw";
import node7 from "../fixtures/sdk-requests/node-7.envelope?raw";

export const sdkEnvelopes = {
  /** @sentry/node: a session update. */
  nodeSession: node1,
  /** @sentry/node: captureException of an Error with a cause. */
  nodeException: node2,
  /** @sentry/node: a 48 KB message event (the SDK gzips it on the wire). */
  nodeLargeMessage: node6,
  /** @sentry/node: a span tree as `span` v2 items. */
  nodeSpans: node7,
  /** @sentry/browser: captureException. */
  browserException: browser2,
  /** @sentry/browser: pageload spans. */
  browserSpans: browser9,
};

/** The same envelope, addressed to another DSN (the captures name key "publickey" and project 42). */
export function readdress(envelope: string, publicKey: string, projectId: number): string {
  return envelope
    .replaceAll('"public_key":"publickey"', `"public_key":"${publicKey}"`)
    .replaceAll("@127.0.0.1:9999/42", `@127.0.0.1:9999/${projectId}`);
}
