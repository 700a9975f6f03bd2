CREATE TABLE `transaction_recent_rollups` (
	`project_id` integer NOT NULL,
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
	PRIMARY KEY(`project_id`, `name`, `op`, `environment`, `release`)
) WITHOUT ROWID;

CREATE TABLE `transaction_recent_since` (
	`id` integer PRIMARY KEY NOT NULL,
	`hour` integer NOT NULL
);
