/**
 * Calls to the dashboard's own API (/api/0, Sentry's Web API) and its login routes (/auth).
 * The session cookie goes along by itself (same origin); a 401 from the API means the session
 * ended, and the app sends the person to the login page.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(detail);
  }
}

export interface PageLinks {
  previous: { cursor: string; results: boolean } | null;
  next: { cursor: string; results: boolean } | null;
}

export interface ApiResponse<T> {
  data: T;
  links: PageLinks;
}

type SessionEndedListener = () => void;
const sessionEnded = new Set<SessionEndedListener>();

export function onSessionEnded(listener: SessionEndedListener): () => void {
  sessionEnded.add(listener);
  return () => void sessionEnded.delete(listener);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const detail =
      typeof data === "object" && data !== null && "detail" in data
        ? String((data as { detail: unknown }).detail)
        : `Request failed (${res.status})`;
    if (res.status === 401 && path.startsWith("/api/")) for (const listener of sessionEnded) listener();
    throw new HttpError(res.status, detail, data);
  }
  return { data: data as T, links: parseLinks(res.headers.get("link")) };
}

export const get = <T>(path: string) => request<T>("GET", path).then((r) => r.data);
export const send = <T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown) =>
  request<T>(method, path, body).then((r) => r.data);

/** Sentry's `Link` header: `<url>; rel="next"; results="true"; cursor="..."`. */
export function parseLinks(header: string | null): PageLinks {
  const links: PageLinks = { previous: null, next: null };
  if (header === null) return links;
  for (const part of header.split(/,\s*(?=<)/)) {
    const rel = /rel="(previous|next)"/.exec(part)?.[1] as "previous" | "next" | undefined;
    const cursor = /cursor="([^"]*)"/.exec(part)?.[1];
    if (rel === undefined || cursor === undefined) continue;
    links[rel] = { cursor, results: /results="true"/.test(part) };
  }
  return links;
}

/** A path segment, encoded. */
export const seg = (value: string | number) => encodeURIComponent(String(value));
