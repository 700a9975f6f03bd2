CREATE TABLE `metric_alert_snapshots` (
	`rule_id` integer NOT NULL,
	`trigger_key` text NOT NULL,
	`minute` integer NOT NULL,
	`hour` integer NOT NULL,
	`count` integer NOT NULL,
	`failures` integer NOT NULL,
	`sketch` text NOT NULL,
	PRIMARY KEY(`rule_id`, `trigger_key`, `minute`)
);

CREATE INDEX `metric_alert_snapshots_by_minute` ON `metric_alert_snapshots` (`minute`);
CREATE TABLE `metric_alert_states` (
	`rule_id` integer NOT NULL,
	`trigger_key` text NOT NULL,
	`firing` integer NOT NULL,
	`last_value` real,
	`changed_at` integer NOT NULL,
	PRIMARY KEY(`rule_id`, `trigger_key`)
);
