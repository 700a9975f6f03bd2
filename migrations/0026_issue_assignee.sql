ALTER TABLE `issues` ADD `assigned_user_id` integer REFERENCES users(id);
CREATE INDEX `issues_by_assignee` ON `issues` (`project_id`,`assigned_user_id`);