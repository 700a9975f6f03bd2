import { isLoopbackHost } from "../../../db/alert-rule-definition";

/**
 * Where SDKs send events, for the DSNs the API shows. The dashboard (Pages) and ingest (the
 * Worker) are different hosts, so the dashboard cannot work this out from its own address:
 * `npm run deploy` tells it, as INGEST_URL. Without a usable INGEST_URL a deployed dashboard
 * shows no DSN and says why, rather than a DSN on its own host that would lose every event. Only
 * a dashboard on a loopback address (local development and tests) falls back to its own origin.
 */
export type IngestOrigin = { url: URL } | { url: null; detail: string };

const INGEST_URL_MISSING =
  "The ingest address is not configured (INGEST_URL is not set): run npm run deploy, which sets it to the Worker's address.";
const INGEST_URL_INVALID = "INGEST_URL is not an http(s) URL: run npm run deploy to set it to the Worker's address.";

export function ingestOrigin(configured: string | undefined, requestUrl: string): IngestOrigin {
  const value = configured?.trim() ?? "";
  if (value !== "") {
    const url = parseUrl(value);
    return url !== null && (url.protocol === "https:" || url.protocol === "http:") ? { url } : { url: null, detail: INGEST_URL_INVALID };
  }
  const request = new URL(requestUrl);
  return isLoopbackHost(request.hostname) ? { url: new URL(request.origin) } : { url: null, detail: INGEST_URL_MISSING };
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
