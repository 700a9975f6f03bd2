CREATE TABLE `monitor_checkins` (
	`id` integer PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`monitor_id` integer NOT NULL,
	`monitor_environment_id` integer NOT NULL,
	`guid` text NOT NULL,
	`status` text NOT NULL,
	`duration` integer,
	`date_created` integer NOT NULL,
	`date_updated` integer NOT NULL,
	`expected_time` integer,
	`timeout_at` integer,
	`release` text,
	`trace_id` text,
	`completion_key` text,
	`issue_event_id` text,
	`incident` text,
	`changed_by_run` text NOT NULL,
	FOREIGN KEY (`monitor_id`) REFERENCES `monitors`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`monitor_environment_id`) REFERENCES `monitor_environments`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `monitor_checkins_by_environment` ON `monitor_checkins` (`monitor_environment_id`,"date_created" desc,"id" desc);
CREATE INDEX `monitor_checkins_by_run` ON `monitor_checkins` (`changed_by_run`);
CREATE INDEX `monitor_checkins_in_progress` ON `monitor_checkins` (`timeout_at`) WHERE status = 'in_progress';
CREATE UNIQUE INDEX `monitor_checkins_by_completion_key` ON `monitor_checkins` (`project_id`,`completion_key`) WHERE completion_key IS NOT NULL;
CREATE UNIQUE INDEX `monitor_checkins_project_id_guid_unique` ON `monitor_checkins` (`project_id`,`guid`);
CREATE TABLE `monitor_environments` (
	`id` integer PRIMARY KEY NOT NULL,
	`monitor_id` integer NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`incident_open` integer DEFAULT false NOT NULL,
	`last_checkin` integer,
	`next_checkin` integer,
	`next_checkin_latest` integer,
	FOREIGN KEY (`monitor_id`) REFERENCES `monitors`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `monitor_environments_by_due` ON `monitor_environments` (`next_checkin_latest`) WHERE next_checkin_latest IS NOT NULL;
CREATE UNIQUE INDEX `monitor_environments_monitor_id_name_unique` ON `monitor_environments` (`monitor_id`,`name`);
CREATE TABLE `monitors` (
	`id` integer PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`config` text NOT NULL,
	`date_created` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE UNIQUE INDEX `monitors_project_id_slug_unique` ON `monitors` (`project_id`,`slug`);