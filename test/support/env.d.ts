// The tests' env (`cloudflare:test`) is the Worker's (protocol/env.ts) plus the migrations to apply.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}

// Vite's `?raw` imports: the file's text.
declare module "*?raw" {
  const text: string;
  export default text;
}
