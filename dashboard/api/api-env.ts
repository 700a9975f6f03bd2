/**
 * What the read API runs with. The dashboard's Pages project binds the same D1 database as the
 * Worker (binding `DB`).
 *
 * `INGEST_URL` is the origin SDKs send events to (the Worker), used to build DSNs in the keys
 * endpoint, e.g. `https://faultline-ingest.example.com`; locally `http://127.0.0.1:8787`. When it
 * is not set, DSNs use the origin of the API request itself, which is right only when the
 * dashboard and ingest share a host.
 */
export interface ApiBindings {
  DB: D1Database;
  INGEST_URL?: string;
  /**
   * Signs the session cookie (session-signature.ts). `npm run setup` sets it as a Pages secret;
   * locally scripts/local-dev.mjs passes one kept in the local state folder. Changing it ends
   * every session. Without it, logging in answers 500 saying so.
   */
  SESSION_SECRET?: string;
}

/** Who is asking: the organizations a request may read and change. */
export interface Principal {
  via: "token" | "session";
  userId: number | null;
  organizationIds: ReadonlySet<number>;
}

export interface ApiVariables {
  principal: Principal;
}

export interface ApiEnv {
  Bindings: ApiBindings;
  Variables: ApiVariables;
}
