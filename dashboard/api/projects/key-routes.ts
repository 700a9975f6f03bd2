import { and, eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { projectKeys } from "../../../db/schema";
import type { ApiEnv } from "../api-env";
import { notFound } from "../api-error";
import { ingestOrigin } from "./ingest-origin";
import { newPublicKey } from "../make-slug";
import { database, projectInScope } from "../route-scope";
import { serializeProjectKey } from "./serialize-project";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * Changing a project's DSN keys (https://docs.sentry.io/api/projects/): create, rename, disable,
 * rate limit, allowed browser origins, and rotate (a new public key for the same settings, so a
 * leaked DSN stops working). As in Sentry the key's id is its public key. The ingest Worker
 * caches keys for KEY_CACHE_TTL_SECONDS, so a change reaches it within that time.
 */
export const keyRoutes = new Hono<ApiEnv>({ strict: false });

const keyColumns = {
  id: projectKeys.id,
  projectId: projectKeys.projectId,
  publicKey: projectKeys.publicKey,
  label: projectKeys.label,
  enabled: projectKeys.enabled,
  rateLimitPerMinute: projectKeys.rateLimitPerMinute,
  allowedOrigins: projectKeys.allowedOrigins,
  createdAt: projectKeys.createdAt,
};

interface KeyRow {
  id: number;
  projectId: number;
  publicKey: string;
  label: string;
  enabled: boolean;
  rateLimitPerMinute: number | null;
  allowedOrigins: string[];
  createdAt: number;
}

async function findKey(db: DrizzleD1Database, projectId: number, publicKey: string): Promise<KeyRow | null> {
  const [row] = await db
    .select(keyColumns)
    .from(projectKeys)
    .where(and(eq(projectKeys.publicKey, publicKey), eq(projectKeys.projectId, projectId)))
    .limit(1);
  return row ?? null;
}

async function keyInScope(c: Context<ApiEnv>) {
  const project = await projectInScope(c);
  const key = (await findKey(database(c), project.id, c.req.param("keyId") ?? "")) ?? notFound();
  return { project, key };
}

function serializeKey(c: Context<ApiEnv>, key: KeyRow) {
  return { ...serializeProjectKey(key, ingestOrigin(c.env.INGEST_URL, c.req.url)), allowedOrigins: key.allowedOrigins };
}

// Sentry's rate limit is a count per window of seconds; Faultline keys count per minute.
const rateLimit = z
  .object({ window: z.number().int().min(1).max(86_400), count: z.number().int().min(1).max(10_000_000) })
  .nullable()
  .transform((r) => (r === null ? null : Math.max(1, Math.round((r.count * 60) / r.window))));

// An origin as browsers send it (scheme, host, optional port), or "*" for any subdomain pattern Sentry allows.
const origin = z
  .string()
  .trim()
  .regex(/^(https?:\/\/)?(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\*$/, "an origin like https://app.example.com");

const keyBody = z
  .object({
    name: z.string().trim().min(1).max(64),
    isActive: z.boolean(),
    rateLimit,
    allowedOrigins: z.array(origin).max(50),
  })
  .partial()
  .strict();

// https://docs.sentry.io/api/projects/retrieve-a-client-key/
keyRoutes.get("/projects/:org/:project/keys/:keyId", async (c) => c.json(serializeKey(c, (await keyInScope(c)).key)));

// https://docs.sentry.io/api/projects/create-a-new-client-key/
keyRoutes.post("/projects/:org/:project/keys", async (c) => {
  const project = await projectInScope(c);
  const body = validateInput(keyBody, await readJsonBody(c.req.raw));
  const db = database(c);
  const publicKey = newPublicKey();
  await db.insert(projectKeys).values({
    projectId: project.id,
    publicKey,
    label: body.name ?? "Default",
    enabled: body.isActive ?? true,
    rateLimitPerMinute: body.rateLimit ?? null,
    allowedOrigins: body.allowedOrigins ?? [],
    createdAt: Date.now(),
  });
  return c.json(serializeKey(c, (await findKey(db, project.id, publicKey))!), 201);
});

// https://docs.sentry.io/api/projects/update-a-client-key/
keyRoutes.put("/projects/:org/:project/keys/:keyId", async (c) => {
  const { project, key } = await keyInScope(c);
  const body = validateInput(keyBody, await readJsonBody(c.req.raw));
  const db = database(c);
  const change = {
    ...(body.name === undefined ? {} : { label: body.name }),
    ...(body.isActive === undefined ? {} : { enabled: body.isActive }),
    ...(body.rateLimit === undefined ? {} : { rateLimitPerMinute: body.rateLimit }),
    ...(body.allowedOrigins === undefined ? {} : { allowedOrigins: [...new Set(body.allowedOrigins)] }),
  };
  if (Object.keys(change).length > 0) await db.update(projectKeys).set(change).where(eq(projectKeys.id, key.id));
  return c.json(serializeKey(c, (await findKey(db, project.id, key.publicKey))!));
});

// Faultline's: a new public key in place of the old one, which stops working at once.
keyRoutes.post("/projects/:org/:project/keys/:keyId/rotate", async (c) => {
  const { project, key } = await keyInScope(c);
  const db = database(c);
  const publicKey = newPublicKey();
  await db.update(projectKeys).set({ publicKey }).where(eq(projectKeys.id, key.id));
  return c.json(serializeKey(c, (await findKey(db, project.id, publicKey))!));
});
