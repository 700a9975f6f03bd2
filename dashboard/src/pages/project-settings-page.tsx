import { useEffect, useState } from "preact/hooks";
import { seg, send } from "../api-client";
import type { ProjectKey, ProjectSettings } from "../api-types";
import { DsnView } from "../components/dsn-view";
import { FormError, errorText } from "../components/form-error";
import { PlatformOptions } from "../components/platform-options";
import { RelativeTime } from "../components/relative-time";
import { SourceMapsSettings } from "../components/source-maps-settings";
import { Link } from "../router";
import { useApi } from "../use-api";

const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

export function ProjectSettingsPage({ org, project }: { org: string; project: string }) {
  const base = `/api/0/projects/${seg(org)}/${seg(project)}`;
  const settings = useApi<ProjectSettings>(`${base}/settings/`);
  return (
    <section aria-labelledby="settings-title">
      <div class="page-head">
        <h1 id="settings-title">{settings.data?.name ?? project}: settings</h1>
        <Link href={`/organizations/${seg(org)}/projects/${seg(project)}/ingest-problems`}>Ingest problems</Link>
        <Link href={`/organizations/${seg(org)}/projects/${seg(project)}/alerts`}>Alerts</Link>
      </div>
      <FormError error={settings.error} />
      {settings.data !== null && <GeneralSettings base={base} settings={settings.data} />}
      <Keys base={base} />
      <SourceMapsSettings base={base} />
    </section>
  );
}

function GeneralSettings({ base, settings }: { base: string; settings: ProjectSettings }) {
  const [saved, setSaved] = useState<ProjectSettings>(settings);
  // A select keeps its value only when told: held here so an error does not reset the choice.
  const [platform, setPlatform] = useState(settings.platform ?? "");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setError(null);
    setNotice(null);
    try {
      const next = await send<ProjectSettings>("PUT", `${base}/`, {
        name: form.get("name"),
        platform: form.get("platform") || null,
        dataScrubber: form.get("dataScrubber") === "on",
        sensitiveFields: lines(String(form.get("sensitiveFields") ?? "")),
        retentionDays: Number(form.get("retentionDays")),
        apdexThreshold: Number(form.get("apdexThreshold")),
      });
      setSaved(next);
      setNotice("Saved.");
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="general-title">
      <h2 id="general-title">Project</h2>
      <label>
        Name
        <input name="name" required maxLength={100} defaultValue={saved.name} />
      </label>
      <label>
        Platform
        <select name="platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value)}>
          <option value="">Other</option>
          <PlatformOptions />
        </select>
      </label>
      <h3>Data scrubbing</h3>
      <label class="check">
        <input type="checkbox" name="dataScrubber" defaultChecked={saved.dataScrubber} />
        Scrub passwords, tokens, secrets, card numbers and the like from events before they are stored
      </label>
      <label>
        Also scrub these fields <span class="muted">(one per line)</span>
        <textarea name="sensitiveFields" rows={3} defaultValue={saved.sensitiveFields.join("\n")} />
      </label>
      <h3>Retention</h3>
      <label>
        Keep events for (days)
        <input name="retentionDays" type="number" min={1} max={3650} required defaultValue={String(saved.retentionDays)} />
      </label>
      <h3>Performance</h3>
      <label>
        Apdex threshold (ms) <span class="muted">(satisfied up to it, tolerated up to four times it; from now on)</span>
        <input name="apdexThreshold" type="number" min={1} max={600000} required defaultValue={String(saved.apdexThreshold)} />
      </label>
      <FormError error={error} />
      {notice !== null && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <button type="submit" class="button primary">
        Save
      </button>
    </form>
  );
}

function Keys({ base }: { base: string }) {
  const list = useApi<ProjectKey[]>(`${base}/keys/`);
  const [error, setError] = useState<string | null>(null);
  const create = async () => {
    setError(null);
    try {
      await send("POST", `${base}/keys/`, { name: `Key ${(list.data?.length ?? 0) + 1}` });
      list.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section class="card" aria-labelledby="keys-title">
      <div class="page-head">
        <h2 id="keys-title">DSN keys</h2>
        <button type="button" class="button" onClick={create}>
          New key
        </button>
      </div>
      <FormError error={error ?? list.error} />
      {list.data?.map((key) => (
        <KeyEditor key={key.public} base={base} publicKey={key.public} onChange={list.reload} />
      ))}
    </section>
  );
}

function KeyEditor({ base, publicKey, onChange }: { base: string; publicKey: string; onChange: () => void }) {
  const path = `${base}/keys/${seg(publicKey)}/`;
  const loaded = useApi<ProjectKey>(path);
  const [key, setKey] = useState<ProjectKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => setKey(loaded.data), [loaded.data]);
  if (key === null) return <p role="status">{loaded.error ?? "Loading…"}</p>;

  const act = async (change: () => Promise<ProjectKey>, message: string) => {
    setError(null);
    setNotice(null);
    try {
      setKey(await change());
      setNotice(message);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const save = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const limit = String(form.get("rateLimit") ?? "").trim();
    return act(
      () =>
        send<ProjectKey>("PUT", path, {
          name: form.get("name"),
          rateLimit: limit === "" ? null : { window: 60, count: Number(limit) },
          allowedOrigins: lines(String(form.get("allowedOrigins") ?? "")),
        }),
      "Saved.",
    );
  };
  const toggle = () => act(() => send<ProjectKey>("PUT", path, { isActive: !key.isActive }), key.isActive ? "Disabled." : "Enabled.");
  const rotate = async () => {
    if (!confirm("Rotate this key? SDKs using the current DSN stop being accepted at once.")) return;
    await act(() => send<ProjectKey>("POST", `${path}rotate/`), "Rotated: update the DSN in your apps.");
    onChange();
  };
  return (
    <form class={`key ${key.isActive ? "" : "disabled"}`} onSubmit={save} aria-label={`Key ${key.name}`}>
      <DsnView dsn={key.dsn} />
      <p class="muted small">
        {key.isActive ? "Active" : "Disabled"} · created <RelativeTime iso={key.dateCreated} />
      </p>
      <div class="grid-2">
        <label>
          Name
          <input name="name" required maxLength={64} defaultValue={key.name} />
        </label>
        <label>
          Rate limit <span class="muted">(events per minute, counted per Cloudflare location; empty for none)</span>
          <input
            name="rateLimit"
            type="number"
            min={1}
            defaultValue={key.rateLimit === null ? "" : String(Math.round((key.rateLimit.count * 60) / key.rateLimit.window))}
          />
        </label>
      </div>
      <label>
        Allowed browser origins <span class="muted">(one per line, like https://app.example.com or *.example.com; empty allows any)</span>
        <textarea name="allowedOrigins" rows={2} defaultValue={(key.allowedOrigins ?? []).join("\n")} />
      </label>
      <FormError error={error} />
      {notice !== null && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <div class="button-row">
        <button type="submit" class="button primary">
          Save key
        </button>
        <button type="button" class="button" onClick={toggle}>
          {key.isActive ? "Disable" : "Enable"}
        </button>
        <button type="button" class="button danger" onClick={rotate}>
          Rotate
        </button>
      </div>
    </form>
  );
}
