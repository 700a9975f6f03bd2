CREATE TABLE `issue_reprocessing` (
	`issue_id` integer PRIMARY KEY NOT NULL,
	`requested_at` integer NOT NULL,
	`finished_at` integer,
	`events` integer DEFAULT 0 NOT NULL,
	`improved` integer DEFAULT 0 NOT NULL
);
