CREATE TABLE `user_feedback` (
	`id` integer PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`feedback_id` text NOT NULL,
	`event_id` text,
	`name` text DEFAULT '' NOT NULL,
	`email` text DEFAULT '' NOT NULL,
	`message` text NOT NULL,
	`url` text,
	`environment` text,
	`release` text,
	`source` text NOT NULL,
	`date_created` integer NOT NULL,
	`data` text,
	`ingest_batch` text NOT NULL
);

CREATE INDEX `user_feedback_by_project` ON `user_feedback` (`project_id`,"date_created" desc,"id" desc);
CREATE INDEX `user_feedback_by_event` ON `user_feedback` (`project_id`,`event_id`);
CREATE UNIQUE INDEX `user_feedback_project_id_feedback_id_unique` ON `user_feedback` (`project_id`,`feedback_id`);