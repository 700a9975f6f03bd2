CREATE TABLE `uptime_checks` (
	`id` integer PRIMARY KEY NOT NULL,
	`monitor_id` integer NOT NULL,
	`scheduled_at` integer NOT NULL,
	`date_created` integer NOT NULL,
	`status` text NOT NULL,
	`http_status` integer,
	`duration_ms` integer NOT NULL,
	`reason` text,
	`issue_event_id` text,
	`incident` text,
	`changed_by_run` text NOT NULL,
	FOREIGN KEY (`monitor_id`) REFERENCES `uptime_monitors`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `uptime_checks_failure_events` ON `uptime_checks` (`issue_event_id`) WHERE incident = 'failure';
CREATE UNIQUE INDEX `uptime_checks_monitor_id_scheduled_at_unique` ON `uptime_checks` (`monitor_id`,`scheduled_at`);
CREATE TABLE `uptime_monitors` (
	`id` integer PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`method` text DEFAULT 'GET' NOT NULL,
	`expected_status_min` integer DEFAULT 200 NOT NULL,
	`expected_status_max` integer DEFAULT 299 NOT NULL,
	`timeout_ms` integer NOT NULL,
	`interval_seconds` integer NOT NULL,
	`body_keyword` text,
	`environment` text DEFAULT 'production' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`failure_threshold` integer NOT NULL,
	`recovery_threshold` integer NOT NULL,
	`next_due_at` integer NOT NULL,
	`uptime_status` text DEFAULT 'ok' NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`consecutive_successes` integer DEFAULT 0 NOT NULL,
	`last_checked_at` integer,
	`date_created` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `uptime_monitors_by_due` ON `uptime_monitors` (`next_due_at`) WHERE status = 'active';
CREATE INDEX `uptime_monitors_by_project` ON `uptime_monitors` (`project_id`);