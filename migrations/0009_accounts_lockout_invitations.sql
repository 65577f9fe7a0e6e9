CREATE TABLE `invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_token_hash_uq` ON `invitations` (`token_hash`);--> statement-breakpoint
CREATE INDEX `invitations_user_idx` ON `invitations` (`user_id`);--> statement-breakpoint
CREATE INDEX `invitations_expires_idx` ON `invitations` (`expires_at`);--> statement-breakpoint
CREATE TABLE `password_failures` (
	`subject` text PRIMARY KEY NOT NULL,
	`failed_attempts` integer NOT NULL,
	`locked_until` integer,
	`last_failed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `password_failures_last_failed_idx` ON `password_failures` (`last_failed_at`);--> statement-breakpoint
-- drizzle-kit leaves out the ON DELETE of the schema here; without it, deleting an organisation that made accounts would fail.
ALTER TABLE `users` ADD `created_by_organization_id` text REFERENCES organizations(id) ON DELETE set null;--> statement-breakpoint
-- The counters move from users to password_failures (subject user:<id>); running locks carry over.
INSERT INTO `password_failures` (`subject`, `failed_attempts`, `locked_until`, `last_failed_at`)
  SELECT 'user:' || `id`, `failed_attempts`, `locked_until`, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM `users` WHERE `failed_attempts` > 0;--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `failed_attempts`;--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `locked_until`;