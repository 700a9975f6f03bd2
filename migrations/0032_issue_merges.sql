CREATE TABLE `issue_merges` (
	`project_id` integer NOT NULL,
	`fingerprint` text NOT NULL,
	`issue_id` integer NOT NULL,
	`merged_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `fingerprint`)
);

CREATE INDEX `issue_merges_by_issue` ON `issue_merges` (`issue_id`);