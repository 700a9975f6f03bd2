import { useState } from "preact/hooks";
import { send } from "../api-client";
import { useApi } from "../use-api";
import { BrowserNotifications } from "./browser-notifications";
import { FormError, errorText } from "./form-error";

/**
 * The logged-in member's own notifications: whether an issue someone assigns to them sends an
 * email, and browser notifications for the alert rules that name them.
 */
export function MyNotifications() {
  const settings = useApi<{ assignmentEmails: boolean }>("/api/0/users/me/notification-settings/");
  const [saved, setSaved] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const on = saved ?? settings.data?.assignmentEmails ?? true;
  const toggle = async (value: boolean) => {
    setError(null);
    try {
      const answer = await send<{ assignmentEmails: boolean }>("PUT", "/api/0/users/me/notification-settings/", {
        assignmentEmails: value,
      });
      setSaved(answer.assignmentEmails);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section class="card" aria-labelledby="my-notifications-title">
      <h2 id="my-notifications-title">Your notifications</h2>
      <FormError error={error ?? settings.error} />
      <label class="check">
        <input
          type="checkbox"
          checked={on}
          disabled={settings.data === null}
          onChange={(e) => toggle((e.currentTarget as HTMLInputElement).checked)}
        />
        Email me when someone assigns an issue to me
      </label>
      <BrowserNotifications />
    </section>
  );
}
