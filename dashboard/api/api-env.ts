/**
 * What the read API runs with. The dashboard's Pages project binds the same D1 database as the
 * Worker (binding `DB`).
 *
 * `INGEST_URL` is the origin SDKs send events to (the Worker), used to build DSNs in the keys
 * endpoints, e.g. `https://faultline-ingest.example.com`; locally `http://127.0.0.1:8787`.
 * `npm run deploy` sets it. Without it the keys carry no DSN but a hint to run that, except on
 * a loopback dashboard, where DSNs use the dashboard's own origin (see ingest-origin.ts).
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
  /**
   * The Worker's R2 bucket (`faultline-raw`): source map uploads keep their chunks and files
   * there, and the digest reads the files from it (dashboard/wrangler.toml binds it).
   */
  RAW: R2Bucket;
  /**
   * The install's VAPID public key (base64url), which browsers subscribe to push alerts with; the
   * Worker holds the pair. `npm run setup` sets both; locally scripts/local-dev.mjs passes a pair
   * kept in the state folder. Without it the dashboard says push alerts are not set up.
   */
  VAPID_PUBLIC_KEY?: string;
  /**
   * The bytes of source maps (artifact bundles' files, uncompressed) a project may keep; 1 GiB
   * without it (dashboard/api/sourcemaps/assemble-artifact-bundle.ts).
   */
  SOURCE_MAP_BYTES_PER_PROJECT?: string;
  /**
   * "1" lets uptime monitors watch loopback and private addresses: local development only
   * (scripts/local-dev.mjs sets it; a deploy never does, so production refuses them with a 400).
   */
  UPTIME_ALLOW_PRIVATE_TARGETS?: string;
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
