-- The issue stream's `environment:`, `release:` and tag filters: issues holding a tag value.
CREATE INDEX issue_tags_by_value ON issue_tags (key, value, issue_id);
