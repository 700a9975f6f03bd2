DROP INDEX `monitor_checkins_by_run`;
CREATE INDEX `monitor_checkins_by_run` ON `monitor_checkins` (`changed_by_run`,`monitor_environment_id`,"date_created" desc,"id" desc);