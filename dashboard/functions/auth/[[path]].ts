import { authApp } from "../../api/auth/session-routes";
import { serveOnPages } from "../../api/serve-on-pages";

// /auth/*: login, logout, the current session, first-run setup and invites.
export const onRequest = serveOnPages(authApp);
