ALTER TABLE `artifact_bundles` ADD `last_used_at` integer;
CREATE INDEX `artifact_bundle_projects_by_bundle` ON `artifact_bundle_projects` (`artifact_bundle_id`);