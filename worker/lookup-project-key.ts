import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { retryReadQueries } from "../db/retry-read-queries";
import { projectKeys } from "../db/schema";

export interface ProjectKey {
  id: number;
  projectId: number;
  publicKey: string;
  enabled: boolean;
  rateLimitPerMinute: number | null;
  allowedOrigins: string[];
}

interface CacheEntry {
  key: ProjectKey | null;
  expiresAt: number;
}

// The isolate-wide cache keeps D1 off the hot path: one read per key per TTL, however many
// requests, and unknown keys are remembered too so a flood of bad keys cannot hammer D1.
const MAX_ENTRIES = 10_000;
const cache = new Map<string, CacheEntry>();
const inFlight = new Map<string, Promise<ProjectKey | null>>();

export async function readProjectKey(db: D1Database, publicKey: string): Promise<ProjectKey | null> {
  const rows = await drizzle(retryReadQueries(db))
    .select({
      id: projectKeys.id,
      projectId: projectKeys.projectId,
      publicKey: projectKeys.publicKey,
      enabled: projectKeys.enabled,
      rateLimitPerMinute: projectKeys.rateLimitPerMinute,
      allowedOrigins: projectKeys.allowedOrigins,
    })
    .from(projectKeys)
    .where(eq(projectKeys.publicKey, publicKey))
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  return { ...row, allowedOrigins: Array.isArray(row.allowedOrigins) ? row.allowedOrigins : [] };
}

// Far longer than any key a DSN holds (32 hex digits). A client may send a key of megabytes in an
// envelope's dsn; D1 fails a query binding a string over 2 MB
// (https://developers.cloudflare.com/d1/platform/limits/), and the cache would keep it.
const MAX_KEY_LENGTH = 256;

/** The key, from the isolate cache when fresh; `ttlMs` for known keys, a fifth of it for unknown ones. */
export async function lookupProjectKey(db: D1Database, publicKey: string, ttlMs: number, now = Date.now()): Promise<ProjectKey | null> {
  if (publicKey.length > MAX_KEY_LENGTH) return null;
  const hit = cache.get(publicKey);
  if (hit && hit.expiresAt > now) return hit.key;
  const pending = inFlight.get(publicKey);
  if (pending) return pending;
  const lookup = readProjectKey(db, publicKey)
    .then((key) => {
      if (cache.size >= MAX_ENTRIES) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.delete(publicKey);
      cache.set(publicKey, { key, expiresAt: now + (key ? ttlMs : ttlMs / 5) });
      return key;
    })
    .finally(() => inFlight.delete(publicKey));
  inFlight.set(publicKey, lookup);
  return lookup;
}

export function clearProjectKeyCache(): void {
  cache.clear();
}
