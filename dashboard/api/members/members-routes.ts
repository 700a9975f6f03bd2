import { Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { ApiError, notFound } from "../api-error";
import { createInvite, deleteInvite, listPendingInvites } from "./invite-queries";
import { countOwners, listMembers, removeMember } from "./member-queries";
import { ANY_ROLE, MANAGERS, requireSessionRole } from "../auth/require-role";
import { database, organizationInScope } from "../route-scope";
import { iso } from "../projects/serialize-project";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * An organization's people: members, pending invites (the link is shown once, to whoever
 * invites; Faultline sends no email), and removing someone. Owners and admins manage them.
 */
export const membersRoutes = new Hono<ApiEnv>({ strict: false });

membersRoutes.get("/organizations/:org/members", async (c) => {
  const org = await organizationInScope(c);
  const db = database(c);
  const [members, invites] = await Promise.all([listMembers(db, org.id), listPendingInvites(db, org.id, Date.now())]);
  return c.json([
    ...members.map((m) => ({
      id: String(m.userId),
      email: m.email,
      name: m.name ?? m.email,
      role: m.role,
      pending: false,
      dateCreated: iso(m.createdAt),
    })),
    ...invites.map((i) => ({
      id: `invite-${i.id}`,
      inviteId: String(i.id),
      email: i.email,
      name: i.email,
      role: i.role,
      pending: true,
      dateCreated: iso(i.createdAt),
      expires: iso(i.expiresAt),
    })),
  ]);
});

const inviteBody = z.object({ email: z.email().max(254), role: z.enum(["member", "admin", "owner"]).default("member") });

membersRoutes.post("/organizations/:org/invites", async (c) => {
  const org = await organizationInScope(c);
  const { userId, role: myRole } = await requireSessionRole(c, org.id, MANAGERS);
  const body = validateInput(inviteBody, await readJsonBody(c.req.raw));
  if (body.role === "owner" && myRole !== "owner") throw new ApiError(403, "Only an owner can invite another owner.");
  const invite = await createInvite(database(c), org.id, body.email, body.role, userId, Date.now());
  const link = `${new URL(c.req.url).origin}/invite/${invite.token}`;
  return c.json({ id: String(invite.id), email: body.email, role: body.role, expires: iso(invite.expiresAt), link }, 201);
});

membersRoutes.delete("/organizations/:org/invites/:inviteId", async (c) => {
  const org = await organizationInScope(c);
  await requireSessionRole(c, org.id, MANAGERS);
  const id = Number(c.req.param("inviteId"));
  if (!Number.isSafeInteger(id) || !(await deleteInvite(database(c), org.id, id))) notFound();
  return c.body(null, 204);
});

membersRoutes.delete("/organizations/:org/members/:userId", async (c) => {
  const org = await organizationInScope(c);
  const me = await requireSessionRole(c, org.id, ANY_ROLE);
  const target = Number(c.req.param("userId"));
  if (!Number.isSafeInteger(target)) notFound();
  // Anyone may leave; removing someone else takes an owner or admin.
  if (target !== me.userId && !MANAGERS.includes(me.role)) throw new ApiError(403, "You do not have permission to perform this action.");
  const db = database(c);
  const members = await listMembers(db, org.id);
  const member = members.find((m) => m.userId === target) ?? notFound();
  // As with inviting one, only an owner may remove another owner.
  if (member.role === "owner" && target !== me.userId && me.role !== "owner")
    throw new ApiError(403, "Only an owner can remove another owner.");
  if (member.role === "owner" && (await countOwners(db, org.id)) <= 1) throw new ApiError(400, "An organization needs at least one owner.");
  await removeMember(db, org.id, target, Date.now(), me.userId);
  return c.body(null, 204);
});
