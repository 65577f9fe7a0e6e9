-- The change log when a project moves to another organisation or an asset to another project
-- (issue 15), beside the triggers of 0014, written by hand. The feed's rule for a change of view
-- holds (src/changes/visibility.ts): those who saw what moved, where it was, get 410 and read the
-- feed again, which then shows nothing of it there; where it arrives, its entries are upserts.
--
-- A `moved` entry marks where something left: no page shows it (changeVisible), it makes the
-- feed answer 410 to those who could see its project (viewChanged). It is written by a BEFORE
-- trigger, so the entity's own entries of the same statement (AFTER triggers) come after it and
-- its latest entry, which cascaded deletions read their scope from, is where it is now.
--
-- A project that moves: the move's batch updates its assets, folders, data files, spheres and
-- resources before it (their entries go to the new organisation by their rows), its reports too
-- (but their entries take the project's organisation, still the old one then), and its
-- attachments. Its reports and its members are written to the new organisation here.
CREATE TRIGGER `changes_projects_move` BEFORE UPDATE OF organization_id ON `projects` WHEN new.organization_id IS NOT old.organization_id BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, old.id, 'project', old.id, 'delete', old.version, 'moved', cc.actor_id, cc.at FROM change_context cc;
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, new.id, 'project_member', pm.user_id, 'insert', NULL, NULL, cc.actor_id, cc.at FROM change_context cc, project_members pm WHERE pm.project_id = new.id;
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, new.id, 'report', r.id, 'update', r.version, NULL, cc.actor_id, cc.at FROM change_context cc, reports r WHERE r.project_id = new.id;
END;
--> statement-breakpoint
-- An attachment whose entity changed organisation: gone from the old one's feed, in the new one's,
-- and so is its resource (as an attachment into another organisation brings it, 0014).
CREATE TRIGGER `changes_resource_attachments_move` AFTER UPDATE OF organization_id ON `resource_attachments` WHEN new.organization_id IS NOT old.organization_id BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT o.organization_id,
		CASE new.entity_type WHEN 'project' THEN new.entity_id
			WHEN 'asset' THEN (SELECT project_id FROM assets WHERE id = new.entity_id)
			WHEN 'report' THEN (SELECT project_id FROM reports WHERE id = new.entity_id) END,
		'attachment', new.resource_id || '/' || new.entity_type || '/' || new.entity_id, o.op, NULL, NULL, cc.actor_id, cc.at
	FROM change_context cc, (SELECT old.organization_id AS organization_id, 'delete' AS op UNION ALL SELECT new.organization_id, 'insert') o;
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, NULL, 'resource', r.id, 'update', r.version, NULL, cc.actor_id, cc.at FROM change_context cc, resources r WHERE r.id = new.resource_id AND r.organization_id <> new.organization_id;
END;
--> statement-breakpoint
-- An asset that changes project (or leaves every project) in its organisation: its entries and
-- those of what hangs on it (folders, data files, spheres, its reports, their attachments) are of
-- its new project from now on, the earlier ones included, so that the feed never shows it, as it
-- is now, to those who see only the project it left (through the entity index: one asset's worth).
-- Its resources are not updated by the move: their entries are written here.
CREATE TRIGGER `changes_assets_move` BEFORE UPDATE OF project_id ON `assets` WHEN new.project_id IS NOT old.project_id AND new.organization_id IS old.organization_id BEGIN
	UPDATE changes SET project_id = new.project_id WHERE organization_id = old.organization_id AND project_id IS old.project_id AND (
		(entity_type = 'asset' AND entity_id = old.id)
		OR (entity_type = 'folder' AND entity_id IN (SELECT f.id FROM folders f WHERE f.asset_id = old.id))
		OR (entity_type = 'data_file' AND entity_id IN (SELECT d.id FROM data_files d WHERE d.asset_id = old.id))
		OR (entity_type = 'sphere' AND entity_id IN (SELECT s.id FROM spheres s WHERE s.asset_id = old.id))
		OR (entity_type = 'report' AND entity_id IN (SELECT r.id FROM reports r WHERE r.asset_id = old.id))
		OR (entity_type = 'attachment' AND entity_id IN (SELECT ra.resource_id || '/' || ra.entity_type || '/' || ra.entity_id FROM resource_attachments ra
			WHERE (ra.entity_type = 'asset' AND ra.entity_id = old.id) OR (ra.entity_type = 'report' AND ra.entity_id IN (SELECT r.id FROM reports r WHERE r.asset_id = old.id)))));
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, old.project_id, 'asset', old.id, 'delete', old.version, 'moved', cc.actor_id, cc.at FROM change_context cc;
	-- Those who see the new project and not the old one get its resources: their attachments and them, anew.
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, new.project_id, 'attachment', ra.resource_id || '/' || ra.entity_type || '/' || ra.entity_id, 'insert', NULL, NULL, cc.actor_id, cc.at
	FROM change_context cc, resource_attachments ra
	WHERE (ra.entity_type = 'asset' AND ra.entity_id = old.id) OR (ra.entity_type = 'report' AND ra.entity_id IN (SELECT r.id FROM reports r WHERE r.asset_id = old.id));
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, NULL, 'resource', rs.id, 'update', rs.version, NULL, cc.actor_id, cc.at FROM change_context cc, resources rs WHERE rs.id IN (SELECT ra.resource_id FROM resource_attachments ra
		WHERE (ra.entity_type = 'asset' AND ra.entity_id = old.id) OR (ra.entity_type = 'report' AND ra.entity_id IN (SELECT r.id FROM reports r WHERE r.asset_id = old.id)));
END;
