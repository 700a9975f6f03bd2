-- Alert evaluations survive their digest run: the run records its pending evaluation in the same
-- transaction, and marks the issues it created, regressed or escalated, so that an evaluation
-- lost after the commit can be rebuilt and run again (queue-consumer/evaluate-after-digest.ts).
CREATE TABLE `alert_evaluations_pending` (
	`run` text PRIMARY KEY NOT NULL,
	`evaluation_id` text NOT NULL,
	`created_at` integer NOT NULL
);

ALTER TABLE `issues` ADD `changed_by_run` text;