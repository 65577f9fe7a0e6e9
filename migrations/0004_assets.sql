CREATE TABLE `assets` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`organization_id` text NOT NULL,
	`project_id` text,
	`asset_tag` text,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`asset_type` text DEFAULT '' NOT NULL,
	`asset_subtype` text DEFAULT '' NOT NULL,
	`asset_status` text DEFAULT 'Active' NOT NULL,
	`location` text DEFAULT '' NOT NULL,
	`lat` real,
	`lon` real,
	`in_service_date` text,
	`attributes` text DEFAULT '{}' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assets_id_uq` ON `assets` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `assets_org_tag_uq` ON `assets` (`organization_id`,`asset_tag`);--> statement-breakpoint
CREATE INDEX `assets_project_name_idx` ON `assets` (`project_id`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `assets_project_created_idx` ON `assets` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `assets_project_updated_idx` ON `assets` (`project_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `assets_org_name_idx` ON `assets` (`organization_id`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `assets_org_updated_idx` ON `assets` (`organization_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `assets_name_idx` ON `assets` (`name`,`id`,`organization_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `assets_updated_idx` ON `assets` (`updated_at`,`id`,`organization_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `assets_status_idx` ON `assets` (`asset_status`,`organization_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `assets_type_idx` ON `assets` (`asset_type`,`id`);--> statement-breakpoint
CREATE TABLE `data_files` (
	`id` text PRIMARY KEY NOT NULL,
	`asset_id` text NOT NULL,
	`folder_id` text,
	`name` text NOT NULL,
	`mime_type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`blob_id` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`folder_id`) REFERENCES `folders`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `data_files_asset_folder_idx` ON `data_files` (`asset_id`,`folder_id`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `data_files_folder_idx` ON `data_files` (`folder_id`);--> statement-breakpoint
CREATE INDEX `data_files_blob_idx` ON `data_files` (`blob_id`);--> statement-breakpoint
CREATE TABLE `folders` (
	`id` text PRIMARY KEY NOT NULL,
	`asset_id` text NOT NULL,
	`parent_id` text,
	`name` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_id`) REFERENCES `folders`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `folders_asset_parent_idx` ON `folders` (`asset_id`,`parent_id`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `folders_parent_idx` ON `folders` (`parent_id`);--> statement-breakpoint
CREATE TABLE `reports` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`asset_id` text,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`blob_id` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `reports_project_idx` ON `reports` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `reports_asset_idx` ON `reports` (`asset_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `reports_updated_idx` ON `reports` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `reports_blob_idx` ON `reports` (`blob_id`);--> statement-breakpoint
CREATE TABLE `spheres` (
	`id` text PRIMARY KEY NOT NULL,
	`asset_id` text NOT NULL,
	`name` text NOT NULL,
	`blob_id` text NOT NULL,
	`captured_at` integer,
	`lat` real,
	`lon` real,
	`heading` real,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `spheres_asset_idx` ON `spheres` (`asset_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `spheres_blob_idx` ON `spheres` (`blob_id`);