-- Release health from sessions (queue-consumer/digest/items/session/). WITHOUT ROWID, added by hand
-- (drizzle cannot say it): each upsert then writes one row, not a row and its primary key's index.
CREATE TABLE `session_aggregate_items` (
	`project_id` integer NOT NULL,
	`message_id` text NOT NULL,
	`item_index` integer NOT NULL,
	`received_at` integer NOT NULL,
	`ingest_batch` text NOT NULL,
	PRIMARY KEY(`project_id`, `message_id`, `item_index`)
) WITHOUT ROWID;

CREATE TABLE `session_rollups` (
	`project_id` integer NOT NULL,
	`release` text NOT NULL,
	`environment` text NOT NULL,
	`hour` integer NOT NULL,
	`sessions` integer NOT NULL,
	`errored` integer NOT NULL,
	`abnormal` integer NOT NULL,
	`crashed` integer NOT NULL,
	`users` integer NOT NULL,
	`crashed_users` integer NOT NULL,
	PRIMARY KEY(`project_id`, `release`, `environment`, `hour`)
) WITHOUT ROWID;

CREATE TABLE `session_states` (
	`project_id` integer NOT NULL,
	`sid` text NOT NULL,
	`hour` integer NOT NULL,
	`release` text NOT NULL,
	`environment` text NOT NULL,
	`user` text NOT NULL,
	`seq` integer NOT NULL,
	`status` integer NOT NULL,
	PRIMARY KEY(`project_id`, `sid`)
) WITHOUT ROWID;

CREATE TABLE `session_users` (
	`project_id` integer NOT NULL,
	`release` text NOT NULL,
	`environment` text NOT NULL,
	`hour` integer NOT NULL,
	`user` text NOT NULL,
	`crashed` integer NOT NULL,
	PRIMARY KEY(`project_id`, `release`, `environment`, `hour`, `user`)
) WITHOUT ROWID;
