import type { Assignee, Member } from "../api-types";

/**
 * Who the issue is assigned to: the organization's members (pending invites cannot be assigned)
 * or nobody, and a shortcut for oneself. Changing it sends Sentry's `assignedTo` at once.
 */
export function AssigneePicker({
  assignee,
  members,
  me,
  disabled,
  onAssign,
}: {
  assignee: Assignee | null;
  members: Member[] | null;
  me: { id: string; email: string; name: string | null } | null;
  disabled: boolean;
  onAssign: (assignedTo: string) => void;
}) {
  const current = assignee === null ? "" : `user:${assignee.id}`;
  const people = (members ?? []).filter((m) => !m.pending);
  // The assignee is listed even before the members load, or if they have left.
  if (assignee !== null && !people.some((m) => m.id === assignee.id))
    people.unshift({ id: assignee.id, email: assignee.email, name: assignee.name, role: "member", pending: false });
  if (me !== null && !people.some((m) => m.id === me.id))
    people.push({ id: me.id, email: me.email, name: me.name ?? me.email, role: "member", pending: false });
  return (
    <div class="assignee-picker">
      <label>
        Assignee
        <select value={current} disabled={disabled} onChange={(e) => onAssign(e.currentTarget.value)}>
          <option value="">Unassigned</option>
          {people.map((m) => (
            <option key={m.id} value={`user:${m.id}`}>
              {m.name === m.email ? m.email : `${m.name} (${m.email})`}
            </option>
          ))}
        </select>
      </label>
      {me !== null && assignee?.id !== me.id && (
        <button type="button" class="button small" disabled={disabled} onClick={() => onAssign(`user:${me.id}`)}>
          Assign to me
        </button>
      )}
    </div>
  );
}
