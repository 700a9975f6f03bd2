import { useEffect, useState } from "preact/hooks";
import { get, request } from "../api-client";
import type { CurrentUser } from "../api-types";
import { FormError, errorText } from "../components/form-error";
import { PlatformOptions } from "../components/platform-options";
import { navigate } from "../router";
import { setLoggedIn } from "../session";

/** The first run of a new instance: the first owner, organization and project. */
export function SetupPage() {
  const [required, setRequired] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ setupRequired: boolean }>("/auth/setup")
      .then((r) => setRequired(r.setupRequired))
      .catch((err) => setError(errorText(err)));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    if (form.get("password") !== form.get("confirm")) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<CurrentUser & { project: { slug: string; organization: string } }>("POST", "/auth/setup", {
        organizationName: form.get("organizationName"),
        projectName: form.get("projectName"),
        platform: form.get("platform"),
        name: form.get("name"),
        email: form.get("email"),
        password: form.get("password"),
      });
      setLoggedIn(data);
      navigate(
        `/organizations/${encodeURIComponent(data.project.organization)}/projects/${encodeURIComponent(data.project.slug)}/getting-started`,
        { replace: true },
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (required === false) {
    return (
      <main id="main" class="auth-page">
        <section class="card auth-card">
          <h1>Already set up</h1>
          <p>This Faultline already has its first account.</p>
          <a class="button primary" href="/login">
            Log in
          </a>
        </section>
      </main>
    );
  }
  return (
    <main id="main" class="auth-page">
      <form class="card auth-card" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">Set up Faultline</h1>
        <p class="muted">Create the first account. Everyone else joins by invitation.</p>
        <fieldset>
          <legend>You</legend>
          <label>
            Name
            <input name="name" autoComplete="name" />
          </label>
          <label>
            Email
            <input name="email" type="email" autoComplete="username" required />
          </label>
          <label>
            Password <span class="muted">(8 characters or more)</span>
            <input name="password" type="password" autoComplete="new-password" minLength={8} required />
          </label>
          <label>
            Password again
            <input name="confirm" type="password" autoComplete="new-password" minLength={8} required />
          </label>
        </fieldset>
        <fieldset>
          <legend>Your first project</legend>
          <label>
            Organization
            <input name="organizationName" required placeholder="Acme" />
          </label>
          <label>
            Project
            <input name="projectName" required placeholder="web-shop" />
          </label>
          <label>
            Platform
            <select name="platform">
              <PlatformOptions />
            </select>
          </label>
        </fieldset>
        <FormError error={error} />
        <button type="submit" class="button primary" disabled={busy || required === null}>
          {busy ? "Setting up…" : "Create account and project"}
        </button>
      </form>
    </main>
  );
}
