// The newest migration the previous release shipped. The upgrade tests (test/db/schema.test.ts and
// test/offline/migrations-cli.test.mjs) build that release's database, fill it, then apply the
// rest. When a release ships, move this to its newest migration (and the tests' rows to its schema).
export const PREVIOUS_RELEASE_LAST_MIGRATION = "0002_digest.sql";
