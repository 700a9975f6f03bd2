import { and, asc, eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { pushSubscriptions } from "../../../db/schema";
import { isAllowedTargetUrl, isLoopbackHost } from "../../../db/alert-rule-definition";
import { base64UrlDecode } from "../../../alert-channels/encrypt-push-message";
import type { ApiEnv } from "../api-env";
import { ApiError, badRequest, notFound } from "../api-error";
import { database } from "../route-scope";
import { iso } from "../projects/serialize-project";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * The logged-in user's browsers that take push alerts. The dashboard's "Enable browser
 * notifications" subscribes with the install's VAPID public key (given here) through the Push
 * API and posts what `PushSubscription.toJSON()` gives
 * (https://www.w3.org/TR/push-api/#dom-pushsubscription-tojson); alert rules with a push target
 * naming the user then notify each of these browsers.
 */
export const pushSubscriptionRoutes = new Hono<ApiEnv>({ strict: false });

const BASE = "/users/me/push-subscriptions";
/** A person has a few browsers; a script posting endlessly does not get a table of them. */
const SUBSCRIPTIONS_PER_USER_MAX = 20;

pushSubscriptionRoutes.get(BASE, async (c) => {
  const userId = sessionUser(c);
  const rows = await database(c)
    .select({ id: pushSubscriptions.id, endpoint: pushSubscriptions.endpoint, createdAt: pushSubscriptions.createdAt })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.userId, userId)) // push_subscriptions_by_user
    .orderBy(asc(pushSubscriptions.id));
  return c.json({
    // Null when the install has no VAPID key: the dashboard then says push is not set up.
    vapidPublicKey: c.env.VAPID_PUBLIC_KEY ?? null,
    subscriptions: rows.map((r) => ({ id: String(r.id), endpoint: r.endpoint, dateCreated: iso(r.createdAt) })),
  });
});

const subscriptionBody = z.object({
  endpoint: z.string().max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    p256dh: z
      .string()
      .max(200)
      .refine((k) => isP256Point(base64UrlDecode(k)), "expected an uncompressed P-256 public key, base64url"),
    auth: z
      .string()
      .max(100)
      .refine((k) => base64UrlDecode(k)?.byteLength === 16, "expected 16 bytes, base64url"),
  }),
});

pushSubscriptionRoutes.post(BASE, async (c) => {
  const userId = sessionUser(c);
  const body = validateInput(subscriptionBody, await readJsonBody(c.req.raw));
  if (!isAllowedTargetUrl(body.endpoint, isLoopbackHost(new URL(c.req.url).hostname)))
    badRequest("endpoint: must be the push service's https URL");
  if (!(await isCurvePoint(base64UrlDecode(body.keys.p256dh)!))) badRequest("keys.p256dh: not a point on P-256");
  const db = database(c);
  const now = Date.now();
  // A browser that subscribes again (or for another user, after a logout) keeps one row: the endpoint is unique.
  const existing = await db.select({ id: pushSubscriptions.id }).from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId));
  const [same] = await db
    .select({ id: pushSubscriptions.id, userId: pushSubscriptions.userId })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.endpoint, body.endpoint));
  if (same?.userId !== userId && existing.length >= SUBSCRIPTIONS_PER_USER_MAX)
    throw new ApiError(400, `At most ${SUBSCRIPTIONS_PER_USER_MAX} browsers per user: remove one first.`);
  const [row] = await db
    .insert(pushSubscriptions)
    .values({ userId, endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth, createdAt: now })
    .onConflictDoUpdate({
      target: pushSubscriptions.endpoint,
      set: { userId, p256dh: body.keys.p256dh, auth: body.keys.auth, createdAt: now, lastDeliveryId: null },
    })
    .returning({ id: pushSubscriptions.id });
  return c.json({ id: String(row!.id), endpoint: body.endpoint, dateCreated: iso(now) }, same === undefined ? 201 : 200);
});

pushSubscriptionRoutes.delete(`${BASE}/:id`, async (c) => {
  const userId = sessionUser(c);
  const id = Number(c.req.param("id"));
  if (!Number.isSafeInteger(id)) notFound();
  const deleted = await database(c)
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.id, id), eq(pushSubscriptions.userId, userId)))
    .returning({ id: pushSubscriptions.id });
  if (deleted.length === 0) notFound();
  return c.body(null, 204);
});

/** Subscriptions belong to a person: an organization's API token has none. */
function sessionUser(c: Context<ApiEnv>): number {
  const { userId } = c.get("principal");
  if (userId === null) throw new ApiError(403, "Browser notifications belong to a user: log in to the dashboard.");
  return userId;
}

function isP256Point(bytes: Uint8Array | null): boolean {
  return bytes !== null && bytes.byteLength === 65 && bytes[0] === 0x04;
}

async function isCurvePoint(bytes: Uint8Array): Promise<boolean> {
  try {
    await crypto.subtle.importKey("raw", bytes, { name: "ECDH", namedCurve: "P-256" }, false, []);
    return true;
  } catch {
    return false;
  }
}
