import { handle } from "hono/cloudflare-pages";
import { authApp } from "../../api/session-routes";

// /auth/*: login, logout, the current session, first-run setup and invites.
export const onRequest = handle(authApp);
