-- Full-text search over projects: name, description and the organisation's name (seed 002).
-- Written by hand (drizzle-kit does not model FTS5). The index's rowid is projects.seq, kept in
-- step by the triggers below, so a search is `seq IN (SELECT rowid FROM projects_fts WHERE …)`.
CREATE VIRTUAL TABLE `projects_fts` USING fts5(
	name, description, organization_name,
	tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `projects_fts_insert` AFTER INSERT ON `projects` BEGIN
	INSERT INTO projects_fts (rowid, name, description, organization_name)
	SELECT new.seq, new.name, new.description, o.name FROM organizations o WHERE o.id = new.organization_id;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_fts_update` AFTER UPDATE OF name, description, organization_id ON `projects` BEGIN
	DELETE FROM projects_fts WHERE rowid = old.seq;
	INSERT INTO projects_fts (rowid, name, description, organization_name)
	SELECT new.seq, new.name, new.description, o.name FROM organizations o WHERE o.id = new.organization_id;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_fts_delete` AFTER DELETE ON `projects` BEGIN
	DELETE FROM projects_fts WHERE rowid = old.seq;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_fts_organization_rename` AFTER UPDATE OF name ON `organizations` BEGIN
	UPDATE projects_fts SET organization_name = new.name
	WHERE rowid IN (SELECT seq FROM projects WHERE organization_id = new.id);
END;
