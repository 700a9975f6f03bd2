import { handle } from "hono/cloudflare-pages";
import { apiApp } from "../../api/api-app";

// Every /api/* request of the dashboard goes to the read API (which answers under /api/0).
export const onRequest = handle(apiApp);
