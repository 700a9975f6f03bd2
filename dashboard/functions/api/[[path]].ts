import { apiApp } from "../../api/api-app";
import { serveOnPages } from "../../api/serve-on-pages";

// Every /api/* request of the dashboard goes to the read API (which answers under /api/0).
export const onRequest = serveOnPages(apiApp);
