CREATE TABLE `assignment_notifications` (
	`id` integer PRIMARY KEY NOT NULL,
	`issue_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`assigned_by` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer
);

CREATE INDEX `assignment_notifications_due` ON `assignment_notifications` (`status`,`next_attempt_at`);
ALTER TABLE `users` ADD `assignment_emails` integer DEFAULT true NOT NULL;