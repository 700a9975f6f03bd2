CREATE TABLE `issue_activity` (
	`id` integer PRIMARY KEY NOT NULL,
	`issue_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	`type` text NOT NULL,
	`user_id` integer,
	`data` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `issue_activity_by_issue` ON `issue_activity` (`issue_id`,"created_at" desc);