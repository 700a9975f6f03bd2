import { retryReadQueries } from "../../db/retry-read-queries";
import type { ApiBindings } from "./api-env";

interface PagesExecution {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  props: unknown;
}

interface FetchHandler {
  fetch(request: Request, env: ApiBindings, executionCtx: PagesExecution): Response | Promise<Response>;
}

/**
 * A Pages Function that hands the request to a Hono app, with the D1 binding wrapped so that
 * read-only queries retry transient failures as production D1 does (see db/retry-read-queries.ts).
 */
export function serveOnPages(app: FetchHandler): PagesFunction<ApiBindings> {
  return (context) =>
    app.fetch(
      context.request,
      { ...context.env, DB: retryReadQueries(context.env.DB) },
      {
        waitUntil: (promise: Promise<unknown>) => context.waitUntil(promise),
        passThroughOnException: () => context.passThroughOnException(),
        props: {},
      },
    );
}
