-- Asset counts (src/db/schema.ts, projectAssetCounts and assetCounts), written by hand: drizzle-kit
-- models neither data nor triggers. They start from the rows already there; from then on every
-- write of an asset or a project moves them in its own statement, whatever wrote it (the app, a
-- cascade from a purged project or a deleted organisation, raw SQL).
--
-- project_asset_counts.assets: a project's assets, in the trash or not. asset_counts, per
-- organisation: `alone`, its assets in no project; `live`, the assets of its live projects; `open`,
-- those of them in projects whose access is `organization`. An asset in a project counts in the
-- organisation of its project (the project decides who sees it), read from the project's row as it
-- is when the asset is written; a project's own writes (trash, restore, access, a move to another
-- organisation) carry its whole count from one place to the other.
--
-- A count row is created by the first write that needs it with INSERT … WHERE NOT EXISTS, not
-- INSERT OR IGNORE: an outer INSERT OR REPLACE would turn that into a REPLACE and reset the row.
--
-- Deletes that cascade: a project's purge deletes the project row before its assets (their
-- triggers find no project and change only project_asset_counts), so the project's BEFORE DELETE
-- trigger takes its assets out of `live`/`open` while the count is whole. An organisation's
-- delete may reach an asset through the organisation first (its project still there: the asset's
-- trigger takes it out of `live`) and the project after (its count is 0 by then): either order
-- ends right. The rows of a deleted project or organisation are deleted with it.
--
-- Trigger depth (src/folders/tree.ts): these triggers write only to the two count tables, which
-- have none; each runs one level below the write that fires it.
INSERT INTO `project_asset_counts` (project_id, assets)
SELECT project_id, count(*) FROM `assets` WHERE project_id IS NOT NULL GROUP BY project_id;
--> statement-breakpoint
INSERT INTO `asset_counts` (organization_id, alone, live, open)
SELECT organization_id, sum(alone), sum(live), sum(open) FROM (
	SELECT organization_id, count(*) AS alone, 0 AS live, 0 AS open FROM `assets` WHERE project_id IS NULL GROUP BY organization_id
	UNION ALL
	SELECT p.organization_id, 0, c.assets, CASE WHEN p.access = 'organization' THEN c.assets ELSE 0 END
	FROM `project_asset_counts` c JOIN `projects` p ON p.id = c.project_id WHERE p.deleted_at IS NULL
) GROUP BY organization_id;
--> statement-breakpoint
CREATE TRIGGER `asset_counts_insert` AFTER INSERT ON `assets` BEGIN
	INSERT INTO asset_counts (organization_id) SELECT new.organization_id
		WHERE new.project_id IS NULL AND NOT EXISTS (SELECT 1 FROM asset_counts WHERE organization_id = new.organization_id);
	UPDATE asset_counts SET alone = alone + 1 WHERE new.project_id IS NULL AND organization_id = new.organization_id;
	INSERT INTO project_asset_counts (project_id) SELECT new.project_id
		WHERE new.project_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM project_asset_counts WHERE project_id = new.project_id);
	UPDATE project_asset_counts SET assets = assets + 1 WHERE project_id = new.project_id;
	INSERT INTO asset_counts (organization_id) SELECT p.organization_id FROM projects p
		WHERE p.id = new.project_id AND p.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM asset_counts WHERE organization_id = p.organization_id);
	UPDATE asset_counts SET live = live + 1, open = open + (SELECT p.access = 'organization' FROM projects p WHERE p.id = new.project_id)
		WHERE organization_id = (SELECT p.organization_id FROM projects p WHERE p.id = new.project_id AND p.deleted_at IS NULL);
END;
--> statement-breakpoint
CREATE TRIGGER `asset_counts_delete` AFTER DELETE ON `assets` BEGIN
	UPDATE asset_counts SET alone = alone - 1 WHERE old.project_id IS NULL AND organization_id = old.organization_id;
	UPDATE project_asset_counts SET assets = assets - 1 WHERE project_id = old.project_id;
	UPDATE asset_counts SET live = live - 1, open = open - (SELECT p.access = 'organization' FROM projects p WHERE p.id = old.project_id)
		WHERE organization_id = (SELECT p.organization_id FROM projects p WHERE p.id = old.project_id AND p.deleted_at IS NULL);
END;
--> statement-breakpoint
-- An asset that changes project or organisation: out of where it was counted, into where it is now
-- (both read the projects as they are now, so a change of organisation alone inside one project nets out).
CREATE TRIGGER `asset_counts_update` AFTER UPDATE OF project_id, organization_id ON `assets`
WHEN old.project_id IS NOT new.project_id OR old.organization_id IS NOT new.organization_id BEGIN
	UPDATE asset_counts SET alone = alone - 1 WHERE old.project_id IS NULL AND organization_id = old.organization_id;
	UPDATE project_asset_counts SET assets = assets - 1 WHERE project_id = old.project_id;
	UPDATE asset_counts SET live = live - 1, open = open - (SELECT p.access = 'organization' FROM projects p WHERE p.id = old.project_id)
		WHERE organization_id = (SELECT p.organization_id FROM projects p WHERE p.id = old.project_id AND p.deleted_at IS NULL);
	INSERT INTO asset_counts (organization_id) SELECT new.organization_id
		WHERE new.project_id IS NULL AND NOT EXISTS (SELECT 1 FROM asset_counts WHERE organization_id = new.organization_id);
	UPDATE asset_counts SET alone = alone + 1 WHERE new.project_id IS NULL AND organization_id = new.organization_id;
	INSERT INTO project_asset_counts (project_id) SELECT new.project_id
		WHERE new.project_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM project_asset_counts WHERE project_id = new.project_id);
	UPDATE project_asset_counts SET assets = assets + 1 WHERE project_id = new.project_id;
	INSERT INTO asset_counts (organization_id) SELECT p.organization_id FROM projects p
		WHERE p.id = new.project_id AND p.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM asset_counts WHERE organization_id = p.organization_id);
	UPDATE asset_counts SET live = live + 1, open = open + (SELECT p.access = 'organization' FROM projects p WHERE p.id = new.project_id)
		WHERE organization_id = (SELECT p.organization_id FROM projects p WHERE p.id = new.project_id AND p.deleted_at IS NULL);
END;
--> statement-breakpoint
-- A project into or out of the trash, to `private` or `organization`, or to another organisation:
-- its whole count leaves where it was counted and joins where it is counted now.
CREATE TRIGGER `asset_counts_project_update` AFTER UPDATE OF organization_id, access, deleted_at ON `projects`
WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) OR old.access IS NOT new.access OR old.organization_id IS NOT new.organization_id BEGIN
	UPDATE asset_counts
		SET live = live - coalesce((SELECT assets FROM project_asset_counts WHERE project_id = old.id), 0),
			open = open - CASE WHEN old.access = 'organization' THEN coalesce((SELECT assets FROM project_asset_counts WHERE project_id = old.id), 0) ELSE 0 END
		WHERE old.deleted_at IS NULL AND organization_id = old.organization_id;
	INSERT INTO asset_counts (organization_id) SELECT new.organization_id
		WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM asset_counts WHERE organization_id = new.organization_id);
	UPDATE asset_counts
		SET live = live + coalesce((SELECT assets FROM project_asset_counts WHERE project_id = new.id), 0),
			open = open + CASE WHEN new.access = 'organization' THEN coalesce((SELECT assets FROM project_asset_counts WHERE project_id = new.id), 0) ELSE 0 END
		WHERE new.deleted_at IS NULL AND organization_id = new.organization_id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_counts_project_delete` BEFORE DELETE ON `projects` WHEN old.deleted_at IS NULL BEGIN
	UPDATE asset_counts
		SET live = live - coalesce((SELECT assets FROM project_asset_counts WHERE project_id = old.id), 0),
			open = open - CASE WHEN old.access = 'organization' THEN coalesce((SELECT assets FROM project_asset_counts WHERE project_id = old.id), 0) ELSE 0 END
		WHERE organization_id = old.organization_id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_counts_project_gone` AFTER DELETE ON `projects` BEGIN
	DELETE FROM project_asset_counts WHERE project_id = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_counts_organization_gone` AFTER DELETE ON `organizations` BEGIN
	DELETE FROM asset_counts WHERE organization_id = old.id;
END;
