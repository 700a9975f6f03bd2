-- Performance: transactions and span streams (queue-consumer/digest/items/transaction/).
-- WITHOUT ROWID, added by hand (drizzle cannot say it): each table is then its primary key's
-- B-tree alone, so inserting a row writes one row, not a row and its primary key's index.
CREATE TABLE `trace_errors` (
	`project_id` integer NOT NULL,
	`day` integer NOT NULL,
	`trace_id` text NOT NULL,
	`event_id` text NOT NULL,
	`issue_id` integer NOT NULL,
	`span_id` text,
	`timestamp` integer NOT NULL,
	PRIMARY KEY(`project_id`, `day`, `trace_id`, `event_id`)
) WITHOUT ROWID;

CREATE TABLE `trace_items` (
	`project_id` integer NOT NULL,
	`day` integer NOT NULL,
	`trace_id` text NOT NULL,
	`span_id` text NOT NULL,
	`kind` text NOT NULL,
	`event_id` text,
	`parent_span_id` text,
	`name` text NOT NULL,
	`op` text NOT NULL,
	`status` text NOT NULL,
	`started_at` real NOT NULL,
	`duration_ms` real NOT NULL,
	`span_count` integer NOT NULL,
	`body_key` text NOT NULL,
	`body_offset` integer NOT NULL,
	`body_length` integer NOT NULL,
	`ingest_batch` text NOT NULL,
	PRIMARY KEY(`project_id`, `day`, `trace_id`, `span_id`)
) WITHOUT ROWID;

CREATE TABLE `transaction_rollups` (
	`project_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`name` text NOT NULL,
	`op` text NOT NULL,
	`environment` text NOT NULL,
	`release` text NOT NULL,
	`count` integer NOT NULL,
	`failures` integer NOT NULL,
	`satisfied` integer NOT NULL,
	`tolerated` integer NOT NULL,
	`duration_sum` real NOT NULL,
	`sketch` text NOT NULL,
	`slowest_ms` real NOT NULL,
	`slowest_trace_id` text NOT NULL,
	`slowest_span_id` text NOT NULL,
	`latest_at` real NOT NULL,
	`latest_trace_id` text NOT NULL,
	`latest_span_id` text NOT NULL,
	PRIMARY KEY(`project_id`, `hour`, `name`, `op`, `environment`, `release`)
) WITHOUT ROWID;

CREATE INDEX `transaction_rollups_by_name` ON `transaction_rollups` (`project_id`,`name`,`hour`);
CREATE TABLE `transaction_vital_rollups` (
	`project_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`name` text NOT NULL,
	`op` text NOT NULL,
	`environment` text NOT NULL,
	`release` text NOT NULL,
	`vital` text NOT NULL,
	`count` integer NOT NULL,
	`value_sum` real NOT NULL,
	`sketch` text NOT NULL,
	PRIMARY KEY(`project_id`, `hour`, `name`, `op`, `environment`, `release`, `vital`)
) WITHOUT ROWID;

ALTER TABLE `projects` ADD `apdex_threshold_ms` integer DEFAULT 300 NOT NULL;