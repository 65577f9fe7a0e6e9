-- Entity numbers (src/db/schema.ts, entityNumber), written by hand: drizzle-kit models neither
-- data nor triggers. The rows already there get numbers in creation order, each kind's counter
-- starts after its highest number, and from then on, per table:
-- - `<table>_number` (AFTER INSERT) moves the counter past the new row's number, so a number is
--   never handed out twice, even once its row is deleted; a row inserted without one (raw SQL)
--   gets the next. The app's INSERTs take `last + 1` themselves, so that RETURNING shows it.
-- - `<table>_number_stable` (BEFORE UPDATE OF number) refuses to change a number once it is set.
-- UPDATE … FROM with row_number(): one pass over each table, not a count per row.
UPDATE `users` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY date_joined, id) AS n FROM `users`) AS o
WHERE o.id = `users`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'user', coalesce(max(`number`), 0) FROM `users`;
--> statement-breakpoint
CREATE TRIGGER `users_number` AFTER INSERT ON `users` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'user';
	UPDATE `users` SET number = (SELECT last FROM entity_numbers WHERE kind = 'user') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `users_number_stable` BEFORE UPDATE OF number ON `users` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `organizations` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `organizations`) AS o
WHERE o.id = `organizations`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'organization', coalesce(max(`number`), 0) FROM `organizations`;
--> statement-breakpoint
CREATE TRIGGER `organizations_number` AFTER INSERT ON `organizations` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'organization';
	UPDATE `organizations` SET number = (SELECT last FROM entity_numbers WHERE kind = 'organization') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `organizations_number_stable` BEFORE UPDATE OF number ON `organizations` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `projects` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `projects`) AS o
WHERE o.id = `projects`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'project', coalesce(max(`number`), 0) FROM `projects`;
--> statement-breakpoint
CREATE TRIGGER `projects_number` AFTER INSERT ON `projects` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'project';
	UPDATE `projects` SET number = (SELECT last FROM entity_numbers WHERE kind = 'project') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_number_stable` BEFORE UPDATE OF number ON `projects` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `assets` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `assets`) AS o
WHERE o.id = `assets`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'asset', coalesce(max(`number`), 0) FROM `assets`;
--> statement-breakpoint
CREATE TRIGGER `assets_number` AFTER INSERT ON `assets` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'asset';
	UPDATE `assets` SET number = (SELECT last FROM entity_numbers WHERE kind = 'asset') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `assets_number_stable` BEFORE UPDATE OF number ON `assets` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `folders` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `folders`) AS o
WHERE o.id = `folders`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'folder', coalesce(max(`number`), 0) FROM `folders`;
--> statement-breakpoint
CREATE TRIGGER `folders_number` AFTER INSERT ON `folders` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'folder';
	UPDATE `folders` SET number = (SELECT last FROM entity_numbers WHERE kind = 'folder') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `folders_number_stable` BEFORE UPDATE OF number ON `folders` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `data_files` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `data_files`) AS o
WHERE o.id = `data_files`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'data_file', coalesce(max(`number`), 0) FROM `data_files`;
--> statement-breakpoint
CREATE TRIGGER `data_files_number` AFTER INSERT ON `data_files` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'data_file';
	UPDATE `data_files` SET number = (SELECT last FROM entity_numbers WHERE kind = 'data_file') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `data_files_number_stable` BEFORE UPDATE OF number ON `data_files` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `spheres` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `spheres`) AS o
WHERE o.id = `spheres`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'sphere', coalesce(max(`number`), 0) FROM `spheres`;
--> statement-breakpoint
CREATE TRIGGER `spheres_number` AFTER INSERT ON `spheres` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'sphere';
	UPDATE `spheres` SET number = (SELECT last FROM entity_numbers WHERE kind = 'sphere') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `spheres_number_stable` BEFORE UPDATE OF number ON `spheres` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `reports` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `reports`) AS o
WHERE o.id = `reports`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'report', coalesce(max(`number`), 0) FROM `reports`;
--> statement-breakpoint
CREATE TRIGGER `reports_number` AFTER INSERT ON `reports` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'report';
	UPDATE `reports` SET number = (SELECT last FROM entity_numbers WHERE kind = 'report') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `reports_number_stable` BEFORE UPDATE OF number ON `reports` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
--> statement-breakpoint
UPDATE `resources` SET `number` = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM `resources`) AS o
WHERE o.id = `resources`.id;
--> statement-breakpoint
INSERT INTO `entity_numbers` (kind, last) SELECT 'resource', coalesce(max(`number`), 0) FROM `resources`;
--> statement-breakpoint
CREATE TRIGGER `resources_number` AFTER INSERT ON `resources` BEGIN
	UPDATE entity_numbers SET last = max(last, coalesce(new.number, last + 1)) WHERE kind = 'resource';
	UPDATE `resources` SET number = (SELECT last FROM entity_numbers WHERE kind = 'resource') WHERE new.number IS NULL AND id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `resources_number_stable` BEFORE UPDATE OF number ON `resources` WHEN old.number IS NOT NULL AND new.number IS NOT old.number BEGIN
	SELECT RAISE(ABORT, 'An entity number never changes.');
END;
