// Artifact bundles as sentry-cli 3.8 uploads them (test/fixtures/artifact-bundles/), and the
// requests it makes to upload one: chunk options, assemble, gzip'd multipart chunks, assemble.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { zipSync } from "fflate";
import { apiApp } from "../../dashboard/api/api-app";
import debugIdsBundle from "../fixtures/artifact-bundles/debug-ids.zip.base64?raw";
import releaseBundle from "../fixtures/artifact-bundles/release-url-prefix.zip.base64?raw";
import configSource from "../fixtures/artifact-bundles/app/src/config.js?raw";

export const DEBUG_ID = "5653b597-57df-57d7-ad37-87a474c57b6f";
export const ORIGINAL_CONFIG_SOURCE = configSource;

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
}

/** `sentry-cli sourcemaps inject` + `upload`: both files carry the debug id, no release. */
export const debugIdBundle = (): Uint8Array => fromBase64(debugIdsBundle);
/** `sourcemaps upload --release 1.0.0 --dist web1 --url-prefix '~/dist'`: no debug ids. */
export const releaseUrlBundle = (): Uint8Array => fromBase64(releaseBundle);

/** A bundle built like sentry-cli's (the SYSB header, then the zip) from a manifest and files. */
export function makeBundle(manifest: unknown, files: Record<string, string | Uint8Array>): Uint8Array {
  const entries: Record<string, Uint8Array> = { "manifest.json": new TextEncoder().encode(JSON.stringify(manifest)) };
  for (const [path, content] of Object.entries(files))
    entries[path] = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const zip = zipSync(entries);
  const out = new Uint8Array(8 + zip.byteLength);
  out.set([0x53, 0x59, 0x53, 0x42, 2, 0, 0, 0]);
  out.set(zip, 8);
  return out;
}

export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface Answer {
  status: number;
  json: any;
}

export async function apiRequest(
  method: string,
  path: string,
  token: string,
  init: { json?: unknown; body?: BodyInit; contentType?: string; bindings?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body: BodyInit | undefined = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  if (init.contentType !== undefined) headers["content-type"] = init.contentType;
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { method, headers, body }),
    { ...env, ...init.bindings },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    // Kept as text.
  }
  return { status: res.status, json };
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One chunk request as sentry-cli sends it: each chunk a `file_gzip` part named by its sha1. */
export async function postChunks(
  orgSlug: string,
  token: string,
  chunks: Array<{ name: string; bytes: Uint8Array; field?: string }>,
): Promise<Answer> {
  const form = new FormData();
  for (const chunk of chunks)
    form.append(chunk.field ?? "file_gzip", new File([chunk.field === "file" ? chunk.bytes : await gzip(chunk.bytes)], chunk.name));
  return apiRequest("POST", `/organizations/${orgSlug}/chunk-upload/`, token, { body: form });
}

export function assemble(orgSlug: string, token: string, body: unknown, bindings?: Record<string, string>): Promise<Answer> {
  return apiRequest("POST", `/organizations/${orgSlug}/artifactbundle/assemble/`, token, { json: body, bindings });
}

/** sentry-cli's whole upload of one bundle: the answers to its first and last assemble. */
export async function uploadBundle(
  org: { orgSlug: string; token: string },
  bundle: Uint8Array,
  options: { projects: string[]; version?: string; dist?: string; chunkSize?: number; bindings?: Record<string, string> },
): Promise<{ first: Answer; last: Answer }> {
  const chunkSize = options.chunkSize ?? 8 * 1024 * 1024;
  const chunks: Array<{ name: string; bytes: Uint8Array }> = [];
  for (let i = 0; i < bundle.byteLength; i += chunkSize) {
    const bytes = bundle.subarray(i, i + chunkSize);
    chunks.push({ name: await sha1Hex(bytes), bytes });
  }
  const body = {
    checksum: await sha1Hex(bundle),
    chunks: chunks.map((c) => c.name),
    projects: options.projects,
    version: options.version,
    dist: options.dist,
  };
  const first = await assemble(org.orgSlug, org.token, body, options.bindings);
  const missing = new Set<string>(first.json?.missingChunks ?? []);
  const toSend = chunks.filter((c) => missing.has(c.name));
  for (let i = 0; i < toSend.length; i += 4) {
    const sent = await postChunks(org.orgSlug, org.token, toSend.slice(i, i + 4));
    if (sent.status !== 200) throw new Error(`chunk upload answered ${sent.status}: ${JSON.stringify(sent.json)}`);
  }
  const last = await assemble(org.orgSlug, org.token, body, options.bindings);
  return { first, last };
}
