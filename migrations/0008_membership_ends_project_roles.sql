-- A project member is a member of the project's organisation (DESIGN.md: leaving an organisation
-- ends every role in its projects). The database holds the rule, so no way of ending a
-- membership (removal, leaving, a future path) can leave project roles behind, and no way of
-- making a project member can make one outside the organisation. Written by hand: drizzle-kit
-- does not model triggers.

-- Repair: roles left behind by memberships that ended before this rule.
DELETE FROM `project_members` WHERE NOT EXISTS (
	SELECT 1 FROM `projects` p JOIN `memberships` m ON m.organization_id = p.organization_id
	WHERE p.id = `project_members`.project_id AND m.user_id = `project_members`.user_id
);
--> statement-breakpoint
-- The membership's end ends the roles in that organisation's projects, in the same statement
-- (and so in the same batch). Trashed projects too: restoring one brings no role back.
CREATE TRIGGER `memberships_end_project_roles` AFTER DELETE ON `memberships` BEGIN
	DELETE FROM project_members WHERE user_id = old.user_id
		AND project_id IN (SELECT id FROM projects WHERE organization_id = old.organization_id);
END;
--> statement-breakpoint
-- A project role for someone outside the organisation is refused. The services insert project
-- members only where the membership exists (INSERT … SELECT … WHERE EXISTS), so this answers
-- only a defect, loudly, instead of granting access silently.
CREATE TRIGGER `project_members_require_membership` BEFORE INSERT ON `project_members`
WHEN NOT EXISTS (
	SELECT 1 FROM projects p JOIN memberships m ON m.organization_id = p.organization_id
	WHERE p.id = new.project_id AND m.user_id = new.user_id
) BEGIN
	SELECT RAISE(ABORT, 'project member outside the organization');
END;
