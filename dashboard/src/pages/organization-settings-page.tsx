import { useState } from "preact/hooks";
import { seg, send } from "../api-client";
import { CopyButton } from "../components/copy-button";
import { FormError, errorText } from "../components/form-error";
import { MyNotifications } from "../components/my-notifications";
import { RelativeTime } from "../components/relative-time";
import { useSession } from "../session";
import { useApi } from "../use-api";

interface Member {
  id: string;
  inviteId?: string;
  email: string;
  name: string;
  role: string;
  pending: boolean;
  dateCreated: string;
  expires?: string;
}

interface ApiToken {
  id: string;
  label: string;
  dateCreated: string;
  lastUsed: string | null;
  createdBy: string | null;
}

export function OrganizationSettingsPage({ org }: { org: string }) {
  return (
    <section aria-labelledby="org-settings-title">
      <h1 id="org-settings-title">Organization settings</h1>
      <Members org={org} />
      <Tokens org={org} />
      <MyNotifications />
    </section>
  );
}

function Members({ org }: { org: string }) {
  const session = useSession();
  const base = `/api/0/organizations/${seg(org)}`;
  const members = useApi<Member[]>(`${base}/members/`);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const me = session.status === "ready" ? session.current : null;
  const myRole = me?.organizations.find((o) => o.slug === org)?.role;
  const manager = myRole === "owner" || myRole === "admin";

  const invite = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setError(null);
    setLink(null);
    try {
      const created = await send<{ link: string }>("POST", `${base}/invites/`, { email: data.get("email"), role: data.get("role") });
      setLink(created.link);
      form.reset();
      members.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (m: Member) => {
    const what = m.pending ? `Cancel the invitation of ${m.email}?` : `Remove ${m.email} from the organization?`;
    if (!confirm(what)) return;
    setError(null);
    try {
      await send("DELETE", m.pending ? `${base}/invites/${seg(m.inviteId!)}/` : `${base}/members/${seg(m.id)}/`);
      members.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section class="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {members.data !== null && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name}
                  {m.name !== m.email && <div class="muted small">{m.email}</div>}
                </td>
                <td>
                  {m.role}
                  {m.pending && <span class="badge">invited</span>}
                </td>
                <td>
                  {m.pending ? (
                    <>
                      expires <RelativeTime iso={m.expires} />
                    </>
                  ) : (
                    <RelativeTime iso={m.dateCreated} />
                  )}
                </td>
                <td class="actions">
                  {(manager || m.id === me?.user.id) && (
                    <button type="button" class="button small" onClick={() => remove(m)}>
                      {m.pending ? "Cancel invite" : m.id === me?.user.id ? "Leave" : "Remove"}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={error ?? members.error} />
      {manager && (
        <form class="inline-form" onSubmit={invite} aria-label="Invite a member">
          <label>
            Email
            <input name="email" type="email" required />
          </label>
          <label>
            Role
            <select name="role">
              <option value="member">Member</option>
              <option value="admin">Admin</option>
              {myRole === "owner" && <option value="owner">Owner</option>}
            </select>
          </label>
          <button type="submit" class="button primary">
            Invite
          </button>
        </form>
      )}
      {link !== null && (
        <div class="notice" role="status">
          <p>Send this link to the person you invited (it works once, for 7 days):</p>
          <div class="copy-row">
            <code class="dsn">{link}</code>
            <CopyButton text={link} label="Copy link" />
          </div>
        </div>
      )}
    </section>
  );
}

function Tokens({ org }: { org: string }) {
  const base = `/api/0/organizations/${seg(org)}/api-tokens/`;
  const tokens = useApi<ApiToken[]>(base);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(null);
    try {
      const token = await send<{ token: string }>("POST", base, { label: new FormData(form).get("label") });
      setCreated(token.token);
      form.reset();
      tokens.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (t: ApiToken) => {
    if (!confirm(`Revoke the token "${t.label}"? Scripts using it stop working at once.`)) return;
    setError(null);
    try {
      await send("DELETE", `${base}${seg(t.id)}/`);
      tokens.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p class="muted">
        For scripts and Sentry-compatible tools: send <code>Authorization: Bearer &lt;token&gt;</code> to <code>/api/0/</code>.
      </p>
      {tokens.data !== null && tokens.data.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.label}
                  {t.createdBy !== null && <div class="muted small">by {t.createdBy}</div>}
                </td>
                <td>
                  <RelativeTime iso={t.dateCreated} />
                </td>
                <td>
                  <RelativeTime iso={t.lastUsed} />
                </td>
                <td class="actions">
                  <button type="button" class="button small danger" onClick={() => revoke(t)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tokens.data !== null && tokens.data.length === 0 && <p>No tokens.</p>}
      <FormError error={error ?? tokens.error} />
      <form class="inline-form" onSubmit={create} aria-label="Create an API token">
        <label>
          Label
          <input name="label" required maxLength={100} placeholder="release script" />
        </label>
        <button type="submit" class="button primary">
          Create token
        </button>
      </form>
      {created !== null && (
        <div class="notice" role="status">
          <p>Copy the token now: it is not shown again.</p>
          <div class="copy-row">
            <code class="dsn">{created}</code>
            <CopyButton text={created} label="Copy token" />
          </div>
        </div>
      )}
    </section>
  );
}
