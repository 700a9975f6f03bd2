-- How an issue was resolved in a release: "in the next release" (events from the release that was
-- newest then, or older, do not regress it) or "in release X" (events from releases before X do not).
ALTER TABLE issues ADD COLUMN resolved_in_next_release INTEGER NOT NULL DEFAULT 0;
