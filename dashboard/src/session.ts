import { useEffect, useState } from "preact/hooks";
import { HttpError, get, onSessionEnded } from "./api-client";
import type { CurrentUser } from "./api-types";

/**
 * Who is logged in, shared by every page. Asked of /auth/session on load and again every few
 * minutes while the page is open, which is also when the server rotates an old session.
 */
export type SessionState =
  { status: "loading" } | { status: "anonymous"; setupRequired: boolean } | { status: "ready"; current: CurrentUser };

let state: SessionState = { status: "loading" };
const listeners = new Set<(s: SessionState) => void>();
const RECHECK_MS = 5 * 60_000;

function set(next: SessionState) {
  state = next;
  for (const listener of listeners) listener(state);
}

export async function refreshSession(): Promise<SessionState> {
  try {
    set({ status: "ready", current: await get<CurrentUser>("/auth/session") });
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) {
      const setupRequired = (err.body as { setupRequired?: boolean } | null)?.setupRequired === true;
      set({ status: "anonymous", setupRequired });
    } else if (state.status === "loading") {
      // The API is unreachable: show the login page, which reports errors as they come.
      set({ status: "anonymous", setupRequired: false });
    }
  }
  return state;
}

export function setLoggedIn(current: CurrentUser) {
  set({ status: "ready", current });
}

export function setLoggedOut() {
  set({ status: "anonymous", setupRequired: false });
}

onSessionEnded(() => {
  if (state.status === "ready") set({ status: "anonymous", setupRequired: false });
});

setInterval(() => {
  if (state.status === "ready" && document.visibilityState === "visible") void refreshSession();
}, RECHECK_MS);

export function useSession(): SessionState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(state);
    return () => void listeners.delete(setCurrent);
  }, []);
  return current;
}
