import { asRecord, asString, isRecord, pickDefined, type JsonRecord } from "../../untrusted-json";
import { BAG, LIMITS, trimDatabag, truncate } from "../../trim-event-data";

/**
 * The request interface (https://develop.sentry.dev/sdk/data-model/event-payloads/request/),
 * in Relay's canonical form: headers, cookies and the query string as [name, value] pairs, the
 * query and fragment split off the URL, cookies taken from the Cookie header when not sent.
 */
export type Pairs = Array<[string, string]>;

export function normalizeRequest(value: unknown, clientIp: string | null): JsonRecord | undefined {
  const raw = asRecord(value);
  if (raw === undefined) return undefined;
  let url = asString(raw.url);
  let query = toPairs(raw.query_string, "&", "=", decodeFormComponent);
  let fragment = asString(raw.fragment);
  if (url !== undefined) {
    const hash = url.indexOf("#");
    if (hash !== -1) {
      fragment ??= url.slice(hash + 1) || undefined;
      url = url.slice(0, hash);
    }
    const question = url.indexOf("?");
    if (question !== -1) {
      if (query.length === 0) query = toPairs(url.slice(question + 1), "&", "=", decodeFormComponent);
      url = url.slice(0, question);
    }
  }
  const headers = toPairs(raw.headers, null, null, (s) => s).map(([name, v]): [string, string] => [canonicalHeaderName(name), v]);
  let cookies = toPairs(raw.cookies, ";", "=", (s) => s.trim());
  if (cookies.length === 0) {
    const cookieHeader = headers.find(([name]) => name === "Cookie");
    if (cookieHeader) cookies = toPairs(cookieHeader[1], ";", "=", (s) => s.trim());
  }
  const env = asRecord(raw.env) ? fillAutoRemoteAddr({ ...(raw.env as JsonRecord) }, clientIp) : undefined;
  return pickDefined([
    ["url", url === undefined ? undefined : truncate(url, LIMITS.path)],
    ["method", asString(raw.method)?.toUpperCase()],
    ["data", raw.data === undefined || raw.data === null ? undefined : trimDatabag(parseBody(raw.data, headers), BAG.large)],
    ["query_string", query.length > 0 ? trimDatabag(query, BAG.small) : undefined],
    ["fragment", fragment],
    ["cookies", cookies.length > 0 ? cookies : undefined],
    ["headers", headers.length > 0 ? trimDatabag(headers, BAG.large) : undefined],
    ["env", env],
    ["inferred_content_type", asString(raw.inferred_content_type)],
    ["api_target", asString(raw.api_target)],
  ]);
}

/** Relay replaces `{{auto}}` in the request env's REMOTE_ADDR with the sender's IP. */
function fillAutoRemoteAddr(env: JsonRecord, clientIp: string | null): JsonRecord {
  if (env.REMOTE_ADDR === "{{auto}}") {
    if (clientIp === null) delete env.REMOTE_ADDR;
    else env.REMOTE_ADDR = clientIp;
  }
  return env;
}

/** An object, a list of pairs, or (with separators) an encoded string, as [name, value] pairs. */
function toPairs(value: unknown, separator: string | null, assign: string | null, decode: (s: string) => string): Pairs {
  if (typeof value === "string" && separator !== null && assign !== null) {
    const text = value.startsWith("?") ? value.slice(1) : value;
    return text
      .split(separator)
      .filter((part) => part.trim() !== "")
      .map((part): [string, string] => {
        const at = part.indexOf(assign);
        return at === -1 ? [decode(part), ""] : [decode(part.slice(0, at)), decode(part.slice(at + 1))];
      });
  }
  if (Array.isArray(value)) {
    return value.flatMap((pair): Pairs => {
      if (!Array.isArray(pair) || pair.length !== 2) return [];
      const name = asString(pair[0]);
      const v = pairValue(pair[1]);
      return name === undefined || v === undefined ? [] : [[name, v]];
    });
  }
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([name, item]): Pairs => {
      // Several values for one name (e.g. repeated query keys) become several pairs.
      const items = Array.isArray(item) ? item : [item];
      return items.flatMap((one): Pairs => {
        const v = pairValue(one);
        return v === undefined ? [] : [[name, v]];
      });
    });
  }
  return [];
}

function pairValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function decodeFormComponent(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll("+", " "));
  } catch {
    return s;
  }
}

/** "user-agent" and "USER-AGENT" are both shown as "User-Agent", as Relay does. */
function canonicalHeaderName(name: string): string {
  return name
    .split("-")
    .map((part) => (part === "" ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join("-");
}

/** A JSON or form-encoded body sent as a string is stored parsed, so it can be shown and scrubbed key by key. */
function parseBody(data: unknown, headers: Pairs): unknown {
  if (typeof data !== "string") return data;
  const contentType = headers.find(([name]) => name === "Content-Type")?.[1].toLowerCase() ?? "";
  const text = data.trim();
  if (contentType.includes("json") || text.startsWith("{") || text.startsWith("[")) {
    try {
      return JSON.parse(text);
    } catch {
      return data;
    }
  }
  if (contentType.includes("application/x-www-form-urlencoded")) {
    const out: JsonRecord = {};
    for (const [name, v] of toPairs(text, "&", "=", decodeFormComponent)) out[name] = v;
    return out;
  }
  return data;
}
