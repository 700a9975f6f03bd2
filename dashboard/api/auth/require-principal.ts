import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv, Principal } from "../api-env";
import { ApiError } from "../api-error";

/**
 * One way in: returns the principal when its kind of credentials is present and good, a reason
 * when present but bad, and null when the request does not carry its kind at all, so the next
 * way in (an API token now, the dashboard's session cookie later) gets its turn.
 */
export type Authenticator = (c: Context<ApiEnv>) => Promise<{ principal: Principal } | { refused: string } | null>;

export function requirePrincipal(...authenticators: Authenticator[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    for (const authenticate of authenticators) {
      const outcome = await authenticate(c);
      if (outcome === null) continue;
      if ("refused" in outcome) throw new ApiError(401, outcome.refused);
      c.set("principal", outcome.principal);
      return next();
    }
    // Sentry's wording for a request without credentials.
    throw new ApiError(401, "Authentication credentials were not provided.");
  };
}
