import { useEffect, useState } from "preact/hooks";
import { request, send } from "../api-client";
import { errorText } from "./form-error";

interface PushSettings {
  vapidPublicKey: string | null;
  subscriptions: Array<{ id: string; endpoint: string; dateCreated: string }>;
}

type State =
  | { kind: "loading" }
  | { kind: "unsupported"; why: string }
  | { kind: "off" }
  | { kind: "on"; id: string | null }
  | { kind: "working" }
  | { kind: "error"; text: string };

/**
 * "Enable browser notifications": registers the dashboard's service worker, subscribes this
 * browser to push with the install's VAPID public key (the Push API,
 * https://developer.mozilla.org/en-US/docs/Web/API/PushManager/subscribe) and stores the
 * subscription for the logged-in user, so rules with a push target naming them reach this browser.
 */
export function BrowserNotifications() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const [settings, setSettings] = useState<PushSettings | null>(null);

  useEffect(() => {
    let current = true;
    (async () => {
      const loaded = (await request<PushSettings>("GET", "/api/0/users/me/push-subscriptions/")).data;
      if (!current) return;
      setSettings(loaded);
      if (!("serviceWorker" in navigator) || !("PushManager" in window))
        return setState({ kind: "unsupported", why: "This browser cannot receive push notifications." });
      if (loaded.vapidPublicKey === null)
        return setState({ kind: "unsupported", why: "Push alerts are not set up on this install (no VAPID key): run `npm run setup`." });
      const registration = await navigator.serviceWorker.getRegistration("/");
      const subscription = await registration?.pushManager.getSubscription();
      const mine = subscription ? loaded.subscriptions.find((s) => s.endpoint === subscription.endpoint) : undefined;
      setState(mine ? { kind: "on", id: mine.id } : { kind: "off" });
    })().catch((err) => current && setState({ kind: "error", text: errorText(err) }));
    return () => {
      current = false;
    };
  }, []);

  const enable = async () => {
    if (settings?.vapidPublicKey == null) return;
    setState({ kind: "working" });
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        setState({ kind: "error", text: "Notifications are blocked for this site: allow them in the browser's site settings." });
        return;
      }
      const registration = await navigator.serviceWorker.register("/service-worker.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: base64UrlBytes(settings.vapidPublicKey),
        }));
      const saved = await send<{ id: string }>("POST", "/api/0/users/me/push-subscriptions/", subscription.toJSON());
      setState({ kind: "on", id: saved.id });
    } catch (err) {
      setState({ kind: "error", text: errorText(err) });
    }
  };

  const disable = async (id: string | null) => {
    setState({ kind: "working" });
    try {
      const registration = await navigator.serviceWorker.getRegistration("/");
      await (await registration?.pushManager.getSubscription())?.unsubscribe();
      if (id !== null) await send("DELETE", `/api/0/users/me/push-subscriptions/${encodeURIComponent(id)}/`);
      setState({ kind: "off" });
    } catch (err) {
      setState({ kind: "error", text: errorText(err) });
    }
  };

  return (
    <div class="browser-notifications" role="group" aria-label="Browser notifications">
      {state.kind === "loading" && <p class="muted">Checking browser notifications…</p>}
      {state.kind === "unsupported" && <p class="muted">{state.why}</p>}
      {(state.kind === "off" || state.kind === "error") && (
        <p>
          <button type="button" class="button small" onClick={enable} disabled={settings?.vapidPublicKey == null}>
            Enable browser notifications
          </button>{" "}
          <span class="muted">so that rules with a push target naming you reach this browser.</span>
        </p>
      )}
      {state.kind === "working" && <p class="muted">Working…</p>}
      {state.kind === "on" && (
        <p>
          Browser notifications are on in this browser.{" "}
          <button type="button" class="button small" onClick={() => disable(state.id)}>
            Turn off
          </button>
        </p>
      )}
      {state.kind === "error" && (
        <p class="form-error" role="alert">
          {state.text}
        </p>
      )}
    </div>
  );
}

/** The key as applicationServerKey takes it: bytes, from the base64url the API gives. */
function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(plain + "=".repeat((4 - (plain.length % 4)) % 4)), (c) => c.charCodeAt(0));
}
