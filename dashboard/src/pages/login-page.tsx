import { useEffect, useState } from "preact/hooks";
import { HttpError, request } from "../api-client";
import type { CurrentUser } from "../api-types";
import { FormError, errorText } from "../components/form-error";
import { navigate, useLocation } from "../router";
import { safeNextPath } from "../safe-next";
import { setLoggedIn, useSession } from "../session";

export function LoginPage() {
  const loc = useLocation();
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Only a page of this dashboard is followed after login, never another site.
  const next = safeNextPath(loc.query.get("next"), location.origin);

  useEffect(() => {
    if (session.status === "ready") navigate(next, { replace: true });
    if (session.status === "anonymous" && session.setupRequired) navigate("/setup", { replace: true });
  }, [session, next]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<CurrentUser>("POST", "/auth/login", { email: form.get("email"), password: form.get("password") });
      setLoggedIn(data);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof HttpError && err.status === 429 ? err.detail : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="auth-page">
      <form class="card auth-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Log in to Faultline</h1>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <FormError error={error} />
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
