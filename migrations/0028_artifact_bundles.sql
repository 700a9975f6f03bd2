CREATE TABLE `artifact_bundle_files` (
	`id` integer PRIMARY KEY NOT NULL,
	`artifact_bundle_id` integer NOT NULL,
	`file_type` text NOT NULL,
	`url` text,
	`debug_id` text,
	`sourcemap` text,
	`object_key` text NOT NULL,
	`size` integer NOT NULL,
	FOREIGN KEY (`artifact_bundle_id`) REFERENCES `artifact_bundles`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `artifact_bundle_files_by_debug_id` ON `artifact_bundle_files` (`debug_id`) WHERE debug_id IS NOT NULL;
CREATE INDEX `artifact_bundle_files_by_url` ON `artifact_bundle_files` (`artifact_bundle_id`,`url`);
CREATE TABLE `artifact_bundle_projects` (
	`project_id` integer NOT NULL,
	`artifact_bundle_id` integer NOT NULL,
	PRIMARY KEY(`project_id`, `artifact_bundle_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`artifact_bundle_id`) REFERENCES `artifact_bundles`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE TABLE `artifact_bundles` (
	`id` integer PRIMARY KEY NOT NULL,
	`organization_id` integer NOT NULL,
	`checksum` text NOT NULL,
	`bundle_id` text,
	`release` text,
	`dist` text DEFAULT '' NOT NULL,
	`file_count` integer NOT NULL,
	`size` integer NOT NULL,
	`date_added` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);

CREATE INDEX `artifact_bundles_by_release` ON `artifact_bundles` (`organization_id`,`release`,`dist`);
CREATE UNIQUE INDEX `artifact_bundles_organization_id_checksum_unique` ON `artifact_bundles` (`organization_id`,`checksum`);