CREATE TABLE `organization_releases` (
	`id` integer PRIMARY KEY NOT NULL,
	`organization_id` integer NOT NULL,
	`version` text NOT NULL,
	`ref` text,
	`url` text,
	`status` text DEFAULT 'open' NOT NULL,
	`date_created` integer NOT NULL,
	`date_started` integer,
	`date_released` integer,
	`commit_count` integer DEFAULT 0 NOT NULL,
	`authors` text DEFAULT '[]' NOT NULL,
	`deploy_count` integer DEFAULT 0 NOT NULL,
	`last_deploy_id` integer,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `organization_releases_by_date` ON `organization_releases` (`organization_id`,"date_created" desc,"id" desc);
CREATE UNIQUE INDEX `organization_releases_organization_id_version_unique` ON `organization_releases` (`organization_id`,`version`);
CREATE TABLE `release_commits` (
	`release_id` integer NOT NULL,
	`position` integer NOT NULL,
	`commit_id` text NOT NULL,
	`repository` text,
	`message` text,
	`author_name` text,
	`author_email` text,
	`timestamp` integer,
	`previous_commit_id` text,
	PRIMARY KEY(`release_id`, `position`),
	FOREIGN KEY (`release_id`) REFERENCES `organization_releases`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE TABLE `release_deploys` (
	`id` integer PRIMARY KEY NOT NULL,
	`release_id` integer NOT NULL,
	`environment` text NOT NULL,
	`name` text,
	`url` text,
	`date_started` integer,
	`date_finished` integer NOT NULL,
	FOREIGN KEY (`release_id`) REFERENCES `organization_releases`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `release_deploys_by_release` ON `release_deploys` (`release_id`,"date_finished" desc,"id" desc);
CREATE TABLE `release_projects` (
	`release_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	PRIMARY KEY(`release_id`, `project_id`),
	FOREIGN KEY (`release_id`) REFERENCES `organization_releases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `issues_by_first_release` ON `issues` (`project_id`,`first_release`);
-- Releases events named before this migration become their organization's releases, created
-- when they were first seen (the digest creates the row of each version seen from now on).
INSERT INTO `organization_releases` (`organization_id`, `version`, `date_created`)
  SELECT p.`organization_id`, r.`version`, min(r.`first_seen`) FROM `releases` r JOIN `projects` p ON p.`id` = r.`project_id`
  GROUP BY p.`organization_id`, r.`version`;
