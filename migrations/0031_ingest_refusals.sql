-- Requests ingest refused for their content, counted per project, hour and outcome reason
-- (worker/count-refusals.ts). WITHOUT ROWID, added by hand (drizzle cannot say it): an upsert
-- then writes one row, not a row and its primary key's index.
CREATE TABLE `ingest_refusals` (
	`project_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`reason` text NOT NULL,
	`count` integer NOT NULL,
	`status` integer NOT NULL,
	`detail` text NOT NULL,
	`last_seen` integer NOT NULL,
	PRIMARY KEY(`project_id`, `hour`, `reason`)
) WITHOUT ROWID;
