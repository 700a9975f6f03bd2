import type { OrganizationRow } from "../projects/project-queries";
import { iso } from "../projects/serialize-project";

/** An organization's one team, in the shape of https://docs.sentry.io/api/teams/retrieve-a-team/. */
export function serializeTeam(org: OrganizationRow, memberCount: number) {
  return {
    id: String(org.id),
    slug: org.slug,
    name: org.name,
    dateCreated: iso(org.createdAt),
    isMember: true,
    teamRole: null,
    hasAccess: true,
    isPending: false,
    memberCount,
    flags: { "idp:provisioned": false },
    access: ["team:read", "project:read", "event:read"],
    avatar: { avatarType: "letter_avatar", avatarUuid: null },
  };
}
