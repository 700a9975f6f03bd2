/** The uptime monitor form, for the Crons page's Uptime section and a monitor's page. */
import { useState } from "preact/hooks";
import { send } from "../api-client";
import { FormError, errorText } from "../components/form-error";
import {
  UPTIME_INTERVALS,
  UPTIME_METHODS,
  UPTIME_TIMEOUT_MS,
  type UptimeDraft,
  type UptimeMonitor,
  emptyUptimeDraft,
  uptimeBody,
  uptimeDraftOf,
  uptimeMonitorPath,
} from "./uptime-draft";

/**
 * Creates an uptime monitor in one of the organization's projects, or edits one: the URL, how it
 * is requested and how often, what counts as up, and how many checks in a row open and resolve
 * its issue. The inputs offer what the API accepts; what it still refuses (a URL it may not
 * watch, a status range upside down) it names, and the form shows that sentence.
 */
export function UptimeForm({
  org,
  projects,
  monitor,
  onDone,
  onCancel,
}: {
  org: string;
  /** Offered for a new monitor; an edit cannot move one. */
  projects: Array<{ slug: string }> | null;
  monitor: UptimeMonitor | null;
  onDone: (saved: UptimeMonitor) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<UptimeDraft>(() =>
    monitor === null ? emptyUptimeDraft(projects?.[0]?.slug ?? "") : uptimeDraftOf(monitor),
  );
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const change = (patch: Partial<UptimeDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const value = (e: Event) => (e.currentTarget as HTMLInputElement).value;
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const saved =
        monitor === null
          ? await send<UptimeMonitor>(
              "POST",
              `/api/0/projects/${encodeURIComponent(org)}/${encodeURIComponent(draft.project)}/uptime/`,
              uptimeBody(draft, true),
            )
          : await send<UptimeMonitor>("PUT", uptimeMonitorPath(org, monitor), uptimeBody(draft, false));
      onDone(saved);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };
  const whole = (label: string, key: keyof UptimeDraft, min: number, max: number) => (
    <label>
      {label}
      <input type="number" min={min} max={max} required value={draft[key] as string} onInput={(e) => change({ [key]: value(e) })} />
    </label>
  );
  return (
    <form class="card monitor-form" onSubmit={submit} aria-label={monitor === null ? "New uptime monitor" : "Edit uptime monitor"}>
      <div class="grid-2">
        {projects !== null && (
          <label>
            Project
            <select value={draft.project} onChange={(e) => change({ project: value(e) })}>
              {projects.map((p) => (
                <option key={p.slug} value={p.slug}>
                  {p.slug}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Name
          <input
            maxLength={128}
            required={monitor !== null}
            value={draft.name}
            onInput={(e) => change({ name: value(e) })}
            placeholder={monitor === null ? "the URL's host" : ""}
          />
        </label>
        <label>
          URL
          <input
            type="url"
            required
            maxLength={2048}
            value={draft.url}
            onInput={(e) => change({ url: value(e) })}
            placeholder="https://example.com/health"
          />
        </label>
        <label>
          Method
          <select value={draft.method} onChange={(e) => change({ method: value(e) })}>
            {UPTIME_METHODS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Check every
          <select value={draft.intervalSeconds} onChange={(e) => change({ intervalSeconds: value(e) })}>
            {UPTIME_INTERVALS.map((i) => (
              <option key={i.seconds} value={String(i.seconds)}>
                {i.label}
              </option>
            ))}
          </select>
        </label>
        {whole("Timeout (ms)", "timeoutMs", UPTIME_TIMEOUT_MS.min, UPTIME_TIMEOUT_MS.max)}
        <label>
          Environment
          <input required maxLength={64} value={draft.environment} onInput={(e) => change({ environment: value(e) })} />
        </label>
        <label>
          Body contains (optional)
          <input maxLength={200} value={draft.bodyKeyword} onInput={(e) => change({ bodyKeyword: value(e) })} />
        </label>
      </div>
      <fieldset>
        <legend>Up when the status is between</legend>
        <div class="grid-2">
          {whole("Lowest status", "expectedStatusMin", 100, 599)}
          {whole("Highest status", "expectedStatusMax", 100, 599)}
        </div>
      </fieldset>
      <div class="grid-2">
        {whole("Failed checks before an issue", "downtimeThreshold", 1, 1440)}
        {whole("Good checks before it resolves", "recoveryThreshold", 1, 1440)}
      </div>
      <label class="check">
        <input type="checkbox" checked={draft.active} onChange={(e) => change({ active: (e.currentTarget as HTMLInputElement).checked })} />
        Active (a disabled monitor is not checked)
      </label>
      <FormError error={error} />
      <div class="button-row">
        <button type="submit" class="button primary" disabled={saving}>
          {monitor === null ? "Create uptime monitor" : "Save uptime monitor"}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
