import { useEffect, useState } from "preact/hooks";
import { get, request } from "../api-client";
import type { CurrentUser } from "../api-types";
import { FormError, errorText } from "../components/form-error";
import { navigate } from "../router";
import { setLoggedIn } from "../session";

interface Invite {
  email: string;
  role: string;
  organization: { slug: string; name: string };
  hasAccount: boolean;
}

export function InvitePage({ token }: { token: string }) {
  const [invite, setInvite] = useState<Invite | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/auth/invites/${encodeURIComponent(token)}`;

  useEffect(() => {
    get<Invite>(path)
      .then(setInvite)
      .catch((err) => setError(errorText(err)));
  }, [path]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    if (invite?.hasAccount === false && form.get("password") !== form.get("confirm")) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<CurrentUser>("POST", path, { name: form.get("name") ?? undefined, password: form.get("password") });
      setLoggedIn(data);
      navigate(`/organizations/${encodeURIComponent(invite!.organization.slug)}/issues`, { replace: true });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="auth-page">
      {invite === null ? (
        <section class="card auth-card">
          <h1>Invitation</h1>
          {error === null ? <p role="status">Loading…</p> : <FormError error={error} />}
        </section>
      ) : (
        <form class="card auth-card" onSubmit={submit} aria-labelledby="invite-title">
          <h1 id="invite-title">Join {invite.organization.name}</h1>
          <p>
            You are invited as <strong>{invite.email}</strong> ({invite.role}).
          </p>
          {invite.hasAccount ? (
            <label>
              Your password
              <input name="password" type="password" autoComplete="current-password" required autoFocus />
            </label>
          ) : (
            <>
              <label>
                Name
                <input name="name" autoComplete="name" autoFocus />
              </label>
              <label>
                Choose a password <span class="muted">(8 characters or more)</span>
                <input name="password" type="password" autoComplete="new-password" minLength={8} required />
              </label>
              <label>
                Password again
                <input name="confirm" type="password" autoComplete="new-password" minLength={8} required />
              </label>
            </>
          )}
          <FormError error={error} />
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? "Joining…" : "Join"}
          </button>
        </form>
      )}
    </main>
  );
}
