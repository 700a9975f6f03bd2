import type { Context } from "hono";
import { type Role, roleIn } from "../members/account-queries";
import type { ApiEnv } from "../api-env";
import { ApiError } from "../api-error";
import { database } from "../route-scope";

/**
 * Changes to who may get in (members, invites, API tokens) are made by a person, logged in to
 * the dashboard, whose role in the organization allows it; an API token cannot mint tokens or
 * invite people.
 */
export async function requireSessionRole(
  c: Context<ApiEnv>,
  organizationId: number,
  roles: readonly Role[],
): Promise<{ userId: number; role: Role }> {
  const principal = c.get("principal");
  if (principal.via !== "session" || principal.userId === null)
    throw new ApiError(403, "Only a user logged in to the dashboard can do this.");
  const role = await roleIn(database(c), organizationId, principal.userId);
  if (role === null || !roles.includes(role)) throw new ApiError(403, "You do not have permission to perform this action.");
  return { userId: principal.userId, role };
}

export const ANY_ROLE: readonly Role[] = ["owner", "admin", "member"];
export const MANAGERS: readonly Role[] = ["owner", "admin"];
