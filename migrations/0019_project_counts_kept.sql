-- Per-organisation project counts (src/db/schema.ts, projectCounts), written by hand: drizzle-kit
-- models neither data nor triggers. The counts start from the rows already there; from then on
-- every write of a project moves them in its own statement, whatever wrote it (the app, a cascade
-- from a deleted organisation, raw SQL). `live`: projects not in the trash; `open`: those of
-- them whose access is `organization`. A count row is created by the first project of its
-- organisation with INSERT … WHERE NOT EXISTS, not INSERT OR IGNORE: an outer INSERT OR REPLACE
-- would turn that into a REPLACE and reset the row.
INSERT INTO `project_counts` (organization_id, live, open)
SELECT organization_id, count(*), sum(access = 'organization') FROM `projects` WHERE deleted_at IS NULL GROUP BY organization_id;
--> statement-breakpoint
CREATE TRIGGER `project_counts_insert` AFTER INSERT ON `projects` WHEN new.deleted_at IS NULL BEGIN
	INSERT INTO project_counts (organization_id) SELECT new.organization_id
		WHERE NOT EXISTS (SELECT 1 FROM project_counts WHERE organization_id = new.organization_id);
	UPDATE project_counts SET live = live + 1, open = open + (new.access = 'organization') WHERE organization_id = new.organization_id;
END;
--> statement-breakpoint
CREATE TRIGGER `project_counts_delete` AFTER DELETE ON `projects` WHEN old.deleted_at IS NULL BEGIN
	UPDATE project_counts SET live = live - 1, open = open - (old.access = 'organization') WHERE organization_id = old.organization_id;
END;
--> statement-breakpoint
CREATE TRIGGER `project_counts_update` AFTER UPDATE OF organization_id, access, deleted_at ON `projects`
WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) OR old.access IS NOT new.access OR old.organization_id IS NOT new.organization_id BEGIN
	UPDATE project_counts SET live = live - 1, open = open - (old.access = 'organization')
		WHERE old.deleted_at IS NULL AND organization_id = old.organization_id;
	INSERT INTO project_counts (organization_id) SELECT new.organization_id
		WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM project_counts WHERE organization_id = new.organization_id);
	UPDATE project_counts SET live = live + 1, open = open + (new.access = 'organization')
		WHERE new.deleted_at IS NULL AND organization_id = new.organization_id;
END;
