-- What moving a project to another organisation, or an asset to another project (issue 15), must
-- keep, held by the database as 0008 holds its rule: no write path and no race between a move and
-- another write can break it silently; the statement that would is refused and its batch rolls
-- back. Written by hand: drizzle-kit does not model triggers. Each message is matched in
-- src/db/errors.ts.

-- A project member is a member of the project's organisation (0008), also after the project
-- changes organisation: a move adds them to the target first (src/projects/move.ts).
CREATE TRIGGER `projects_move_keeps_members` BEFORE UPDATE OF organization_id ON `projects`
WHEN EXISTS (
	SELECT 1 FROM project_members pm WHERE pm.project_id = new.id
	AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = new.organization_id AND m.user_id = pm.user_id)
) BEGIN
	SELECT RAISE(ABORT, 'project member outside the organization');
END;
--> statement-breakpoint
-- A resource's bytes are a blob of the organisation that owns the resource: deleting an
-- organisation deletes its blobs, so a resource of another organisation naming one of them would
-- lose its bytes. A move gives a moved resource a blob of its new owner (src/resources/move.ts);
-- an upload or a deduplication that raced with it is refused here.
CREATE TRIGGER `resources_blob_of_owner_insert` BEFORE INSERT ON `resources`
WHEN (SELECT b.organization_id FROM blobs b WHERE b.id = new.blob_id) IS NOT new.organization_id
BEGIN
	SELECT RAISE(ABORT, 'resource bytes of another organization');
END;
--> statement-breakpoint
CREATE TRIGGER `resources_blob_of_owner_update` BEFORE UPDATE OF organization_id, blob_id ON `resources`
WHEN (SELECT b.organization_id FROM blobs b WHERE b.id = new.blob_id) IS NOT new.organization_id
BEGIN
	SELECT RAISE(ABORT, 'resource bytes of another organization');
END;
--> statement-breakpoint
-- A report about an asset is in the asset's project: an asset that moves takes its reports along
-- (src/assets/move.ts), and a report created from a read made before the move is refused.
CREATE TRIGGER `reports_in_asset_project` BEFORE INSERT ON `reports`
WHEN new.asset_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = new.asset_id AND a.project_id = new.project_id)
BEGIN
	SELECT RAISE(ABORT, 'report about an asset of another project');
END;
