-- The stream's `environment:`, `release:` and tag filters look a value up within the projects
-- being listed, not across the whole database: issue_tags carries its issue's project, and
-- issue_tags_by_value starts with it.
ALTER TABLE issue_tags ADD COLUMN project_id INTEGER NOT NULL DEFAULT 0;
UPDATE issue_tags SET project_id = (SELECT project_id FROM issues WHERE issues.id = issue_tags.issue_id);
DROP INDEX issue_tags_by_value;
CREATE INDEX issue_tags_by_value ON issue_tags (project_id, key, value, issue_id);
