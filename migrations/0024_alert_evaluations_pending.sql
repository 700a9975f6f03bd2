-- Alert evaluations survive their digest run: the run records its pending evaluation, with what
-- it did to issues, in the same transaction, and marks the issues it created, regressed or
-- escalated, so that an evaluation lost after the commit is run again
-- (queue-consumer/evaluate-after-digest.ts).
CREATE TABLE `alert_evaluations_pending` (
	`run` text PRIMARY KEY NOT NULL,
	`evaluation_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`changes` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL
);

CREATE INDEX `alert_evaluations_pending_by_evaluation` ON `alert_evaluations_pending` (`evaluation_id`);
CREATE INDEX `alert_evaluations_pending_by_next_attempt` ON `alert_evaluations_pending` (`next_attempt_at`);
ALTER TABLE `issues` ADD `changed_by_run` text;