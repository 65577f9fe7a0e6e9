-- The change log's triggers (src/db/schema.ts, `changes`), written by hand: drizzle-kit models
-- neither views nor triggers. Every insert, update (one that moves `version` on; for the rows
-- without one, a change of what they show) and delete of an organisation's entity adds a row in
-- the same statement, so no write path can leave it out and a batch that rolls back takes its rows
-- with it. These are triggers of their own, beside the search, numbering and membership triggers.
--
-- Scope (organization_id, project_id): read from the row and its parents on insert and update.
-- A delete that cascades from a parent runs after the parent's row is gone, so a deletion takes
-- its scope from the row, or from its parent's (or its own) latest entry in the log, which the
-- retention keeps for every entity that exists (src/changes/retention.ts). A deletion inside an
-- organisation being deleted writes nothing: the organisation's feed ends with it (its own
-- deletion is written), and the retention removes the rest.
--
-- Trigger depth: each trigger here is one level below the write that fires it and writes only to
-- `changes`, which has no triggers (src/folders/tree.ts, test/purge-cascade.test.ts: the deepest is a
-- project's purge, whose data files' rows are written 4 of the 10 levels down).
--
-- `change_context`: who and when, from the one-row write_context a request's write batch starts
-- with (src/db/write-context.ts); without it (the scheduled clean-up) no actor, and the time now.
CREATE VIEW `change_context` AS SELECT
	(SELECT actor_id FROM write_context WHERE id = 1) AS actor_id,
	COALESCE((SELECT at FROM write_context WHERE id = 1), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) AS at;
--> statement-breakpoint
-- The entities already there, one entry each, so that a feed read from the start holds them all.
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT id, NULL, 'organization', id, 'insert', version, NULL, NULL, updated_at FROM organizations ORDER BY created_at, id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT organization_id, NULL, 'member', user_id, 'insert', NULL, NULL, NULL, created_at FROM memberships ORDER BY created_at, user_id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT organization_id, id, 'project', id, 'insert', version, NULL, NULL, updated_at FROM projects ORDER BY created_at, id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT p.organization_id, pm.project_id, 'project_member', pm.user_id, 'insert', NULL, NULL, NULL, pm.created_at
FROM project_members pm JOIN projects p ON p.id = pm.project_id ORDER BY pm.created_at, pm.user_id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT organization_id, project_id, 'asset', id, 'insert', version, NULL, NULL, updated_at FROM assets ORDER BY created_at, id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT a.organization_id, a.project_id, 'folder', x.id, 'insert', x.version, NULL, NULL, x.updated_at
FROM folders x JOIN assets a ON a.id = x.asset_id ORDER BY x.created_at, x.id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT a.organization_id, a.project_id, 'data_file', x.id, 'insert', x.version, NULL, NULL, x.updated_at
FROM data_files x JOIN assets a ON a.id = x.asset_id ORDER BY x.created_at, x.id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT a.organization_id, a.project_id, 'sphere', x.id, 'insert', x.version, NULL, NULL, x.updated_at
FROM spheres x JOIN assets a ON a.id = x.asset_id ORDER BY x.created_at, x.id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT p.organization_id, r.project_id, 'report', r.id, 'insert', r.version, NULL, NULL, r.updated_at
FROM reports r JOIN projects p ON p.id = r.project_id ORDER BY r.created_at, r.id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT o.organization_id, NULL, 'resource', r.id, 'insert', r.version, NULL, NULL, r.updated_at
FROM resources r JOIN (SELECT id AS resource_id, organization_id FROM resources
	UNION SELECT resource_id, organization_id FROM resource_attachments) o ON o.resource_id = r.id
ORDER BY r.created_at, r.id;
--> statement-breakpoint
INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
SELECT ra.organization_id,
	CASE ra.entity_type WHEN 'project' THEN ra.entity_id
		WHEN 'asset' THEN (SELECT project_id FROM assets WHERE id = ra.entity_id)
		WHEN 'report' THEN (SELECT project_id FROM reports WHERE id = ra.entity_id) END,
	'attachment', ra.resource_id || '/' || ra.entity_type || '/' || ra.entity_id, 'insert', NULL, NULL, NULL, ra.created_at
FROM resource_attachments ra ORDER BY ra.created_at, ra.resource_id;
--> statement-breakpoint
CREATE TRIGGER `changes_organizations_insert` AFTER INSERT ON `organizations` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.id, NULL, 'organization', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_organizations_update` AFTER UPDATE ON `organizations` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.id, NULL, 'organization', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_organizations_delete` AFTER DELETE ON `organizations` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.id, NULL, 'organization', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_memberships_insert` AFTER INSERT ON `memberships` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, NULL, 'member', new.user_id, 'insert', NULL, 'member', cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_memberships_update` AFTER UPDATE ON `memberships` WHEN new.role IS NOT old.role BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, NULL, 'member', new.user_id, 'update', NULL, 'member', cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_memberships_delete` AFTER DELETE ON `memberships` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, NULL, 'member', old.user_id, 'delete', NULL, 'member', cc.actor_id, cc.at FROM change_context cc WHERE old.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
-- A member and a project member show their user's username, email and name (not last_login:
-- signing in is not a change of the member).
CREATE TRIGGER `changes_users_update` AFTER UPDATE OF username, email, name ON `users` WHEN new.username IS NOT old.username OR new.email IS NOT old.email OR new.name IS NOT old.name BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT m.organization_id, NULL, 'member', new.id, 'update', NULL, NULL, cc.actor_id, cc.at FROM change_context cc, memberships m WHERE m.user_id = new.id;
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT p.organization_id, pm.project_id, 'project_member', new.id, 'update', NULL, NULL, cc.actor_id, cc.at FROM change_context cc, project_members pm JOIN projects p ON p.id = pm.project_id WHERE pm.user_id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_projects_insert` AFTER INSERT ON `projects` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, new.id, 'project', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
-- Who sees a project's contents changes with its access and with the trash (`view`).
CREATE TRIGGER `changes_projects_update` AFTER UPDATE ON `projects` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, new.id, 'project', new.id, 'update', new.version,
		CASE WHEN new.access IS NOT old.access THEN 'access' WHEN (new.deleted_at IS NULL) <> (old.deleted_at IS NULL) THEN 'trash' END, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
-- A purge: who saw the project follows from its access then (and its members' own deletions).
CREATE TRIGGER `changes_projects_delete` AFTER DELETE ON `projects` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, old.id, 'project', old.id, 'delete', old.version,
		CASE old.access WHEN 'organization' THEN 'open_purge' ELSE 'private_purge' END, cc.actor_id, cc.at FROM change_context cc WHERE old.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
CREATE TRIGGER `changes_project_members_insert` AFTER INSERT ON `project_members` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT p.organization_id, new.project_id, 'project_member', new.user_id, 'insert', NULL, 'project_member', cc.actor_id, cc.at FROM change_context cc, projects p WHERE p.id = new.project_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_project_members_update` AFTER UPDATE ON `project_members` WHEN new.role IS NOT old.role BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT p.organization_id, new.project_id, 'project_member', new.user_id, 'update', NULL, NULL, cc.actor_id, cc.at FROM change_context cc, projects p WHERE p.id = new.project_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_project_members_delete` AFTER DELETE ON `project_members` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT s.organization_id, old.project_id, 'project_member', old.user_id, 'delete', NULL, 'project_member', cc.actor_id, cc.at FROM change_context cc, (SELECT (SELECT organization_id FROM projects WHERE id = old.project_id
		UNION ALL SELECT organization_id FROM (SELECT organization_id FROM changes WHERE entity_type = 'project' AND entity_id = old.project_id ORDER BY seq DESC LIMIT 1)
		LIMIT 1) AS organization_id) s WHERE s.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
CREATE TRIGGER `changes_assets_insert` AFTER INSERT ON `assets` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, new.project_id, 'asset', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_assets_update` AFTER UPDATE ON `assets` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, new.project_id, 'asset', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_assets_delete` AFTER DELETE ON `assets` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, old.project_id, 'asset', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc WHERE old.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
CREATE TRIGGER `changes_folders_insert` AFTER INSERT ON `folders` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT a.organization_id, a.project_id, 'folder', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, assets a WHERE a.id = new.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_folders_update` AFTER UPDATE ON `folders` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT a.organization_id, a.project_id, 'folder', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, assets a WHERE a.id = new.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_folders_delete` AFTER DELETE ON `folders` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT s.organization_id, s.project_id, 'folder', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT organization_id, project_id FROM assets WHERE id = old.asset_id
		UNION ALL SELECT organization_id, project_id FROM (SELECT organization_id, project_id FROM changes WHERE entity_type = 'asset' AND entity_id = old.asset_id ORDER BY seq DESC LIMIT 1)
		LIMIT 1) s WHERE s.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
CREATE TRIGGER `changes_data_files_insert` AFTER INSERT ON `data_files` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT a.organization_id, a.project_id, 'data_file', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, assets a WHERE a.id = new.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_data_files_update` AFTER UPDATE ON `data_files` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT a.organization_id, a.project_id, 'data_file', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, assets a WHERE a.id = new.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_data_files_delete` AFTER DELETE ON `data_files` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT s.organization_id, s.project_id, 'data_file', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT organization_id, project_id FROM assets WHERE id = old.asset_id
		UNION ALL SELECT organization_id, project_id FROM (SELECT organization_id, project_id FROM changes WHERE entity_type = 'asset' AND entity_id = old.asset_id ORDER BY seq DESC LIMIT 1)
		LIMIT 1) s WHERE s.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
CREATE TRIGGER `changes_spheres_insert` AFTER INSERT ON `spheres` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT a.organization_id, a.project_id, 'sphere', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, assets a WHERE a.id = new.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_spheres_update` AFTER UPDATE ON `spheres` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT a.organization_id, a.project_id, 'sphere', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, assets a WHERE a.id = new.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_spheres_delete` AFTER DELETE ON `spheres` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT s.organization_id, s.project_id, 'sphere', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT organization_id, project_id FROM assets WHERE id = old.asset_id
		UNION ALL SELECT organization_id, project_id FROM (SELECT organization_id, project_id FROM changes WHERE entity_type = 'asset' AND entity_id = old.asset_id ORDER BY seq DESC LIMIT 1)
		LIMIT 1) s WHERE s.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
CREATE TRIGGER `changes_reports_insert` AFTER INSERT ON `reports` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT p.organization_id, new.project_id, 'report', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, projects p WHERE p.id = new.project_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_reports_update` AFTER UPDATE ON `reports` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT p.organization_id, new.project_id, 'report', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, projects p WHERE p.id = new.project_id;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_reports_delete` AFTER DELETE ON `reports` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT s.organization_id, old.project_id, 'report', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT (SELECT organization_id FROM projects WHERE id = old.project_id
		UNION ALL SELECT organization_id FROM (SELECT organization_id FROM changes WHERE entity_type = 'project' AND entity_id = old.project_id ORDER BY seq DESC LIMIT 1)
		LIMIT 1) AS organization_id) s WHERE s.organization_id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
-- A resource is in the feed of its organisation and of every organisation it is attached into.
CREATE TRIGGER `changes_resources_insert` AFTER INSERT ON `resources` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, NULL, 'resource', new.id, 'insert', new.version, NULL, cc.actor_id, cc.at FROM change_context cc;
END;
--> statement-breakpoint
CREATE TRIGGER `changes_resources_update` AFTER UPDATE ON `resources` WHEN new.version IS NOT old.version BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT o.id, NULL, 'resource', new.id, 'update', new.version, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT new.organization_id AS id UNION SELECT organization_id FROM resource_attachments WHERE resource_id = new.id) o WHERE o.id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
-- Its attachments are gone by now (the cascade runs first): the organisations whose feeds it was in.
CREATE TRIGGER `changes_resources_delete` AFTER DELETE ON `resources` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT o.id, NULL, 'resource', old.id, 'delete', old.version, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT old.organization_id AS id UNION SELECT organization_id FROM changes WHERE entity_type = 'resource' AND entity_id = old.id) o WHERE o.id IN (SELECT id FROM organizations);
END;
--> statement-breakpoint
-- An attachment is in the feed of the attached entity's organisation, seen by those who see the
-- entity; attaching a resource into another organisation brings the resource into that feed too.
CREATE TRIGGER `changes_resource_attachments_insert` AFTER INSERT ON `resource_attachments` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id,
		CASE new.entity_type WHEN 'project' THEN new.entity_id
			WHEN 'asset' THEN (SELECT project_id FROM assets WHERE id = new.entity_id)
			WHEN 'report' THEN (SELECT project_id FROM reports WHERE id = new.entity_id) END,
		'attachment', new.resource_id || '/' || new.entity_type || '/' || new.entity_id, 'insert', NULL, NULL, cc.actor_id, cc.at FROM change_context cc;
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT new.organization_id, NULL, 'resource', r.id, 'update', r.version, NULL, cc.actor_id, cc.at FROM change_context cc, resources r WHERE r.id = new.resource_id AND r.organization_id <> new.organization_id;
END;
--> statement-breakpoint
-- The attached entity may be gone (a dangling attachment the sweep removes): the attachment's own
-- entry keeps its project; failing that, the entity's id, which no project has, so that only the
-- organisation's admins see it.
CREATE TRIGGER `changes_resource_attachments_delete` AFTER DELETE ON `resource_attachments` BEGIN
	INSERT INTO changes (organization_id, project_id, entity_type, entity_id, op, version, view, actor_id, at)
	SELECT old.organization_id, s.project_id, 'attachment', old.resource_id || '/' || old.entity_type || '/' || old.entity_id, 'delete', NULL, NULL, cc.actor_id, cc.at FROM change_context cc, (SELECT project_id FROM (SELECT project_id FROM changes WHERE entity_type = 'attachment'
			AND entity_id = old.resource_id || '/' || old.entity_type || '/' || old.entity_id ORDER BY seq DESC LIMIT 1)
		UNION ALL SELECT CASE old.entity_type WHEN 'project' THEN old.entity_id END WHERE old.entity_type IN ('organization', 'project')
		UNION ALL SELECT project_id FROM assets WHERE old.entity_type = 'asset' AND id = old.entity_id
		UNION ALL SELECT project_id FROM reports WHERE old.entity_type = 'report' AND id = old.entity_id
		UNION ALL SELECT old.entity_id
		LIMIT 1) s WHERE old.organization_id IN (SELECT id FROM organizations);
END;
