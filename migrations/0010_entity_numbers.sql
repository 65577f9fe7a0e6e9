CREATE TABLE `entity_numbers` (
	`kind` text PRIMARY KEY NOT NULL,
	`last` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `assets` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `assets_number_uq` ON `assets` (`number`);--> statement-breakpoint
ALTER TABLE `data_files` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `data_files_number_uq` ON `data_files` (`number`);--> statement-breakpoint
ALTER TABLE `folders` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `folders_number_uq` ON `folders` (`number`);--> statement-breakpoint
ALTER TABLE `organizations` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_number_uq` ON `organizations` (`number`);--> statement-breakpoint
ALTER TABLE `projects` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `projects_number_uq` ON `projects` (`number`);--> statement-breakpoint
ALTER TABLE `reports` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `reports_number_uq` ON `reports` (`number`);--> statement-breakpoint
ALTER TABLE `resources` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `resources_number_uq` ON `resources` (`number`);--> statement-breakpoint
ALTER TABLE `spheres` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `spheres_number_uq` ON `spheres` (`number`);--> statement-breakpoint
ALTER TABLE `users` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `users_number_uq` ON `users` (`number`);