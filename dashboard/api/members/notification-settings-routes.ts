import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { users } from "../../../db/schema";
import type { ApiEnv } from "../api-env";
import { ApiError } from "../api-error";
import { database } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * The logged-in user's notification choices: whether an issue someone assigns to them sends
 * them an email (dashboard/api/issues/assignment-emails.ts). On by default, as in Sentry's
 * workflow notifications; browser notifications are push-subscription-routes.ts.
 */
export const notificationSettingsRoutes = new Hono<ApiEnv>({ strict: false });

const PATH = "/users/me/notification-settings";

notificationSettingsRoutes.get(PATH, async (c) => {
  const userId = sessionUser(c.get("principal").userId);
  const [row] = await database(c).select({ assignmentEmails: users.assignmentEmails }).from(users).where(eq(users.id, userId));
  return c.json({ assignmentEmails: row?.assignmentEmails ?? true });
});

const settingsBody = z.object({ assignmentEmails: z.boolean() }).strict();

notificationSettingsRoutes.put(PATH, async (c) => {
  const userId = sessionUser(c.get("principal").userId);
  const body = validateInput(settingsBody, await readJsonBody(c.req.raw));
  await database(c).update(users).set({ assignmentEmails: body.assignmentEmails }).where(eq(users.id, userId));
  return c.json(body);
});

function sessionUser(userId: number | null): number {
  if (userId === null) throw new ApiError(403, "Notification settings belong to a user: log in to the dashboard.");
  return userId;
}
