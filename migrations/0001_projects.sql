CREATE TABLE `project_members` (
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `user_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `project_members_user_idx` ON `project_members` (`user_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `project_members_joined_idx` ON `project_members` (`project_id`,`created_at`,`user_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`organization_id` text NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`country` text DEFAULT '' NOT NULL,
	`location` text DEFAULT '' NOT NULL,
	`lat` real,
	`lon` real,
	`project_type` text DEFAULT '' NOT NULL,
	`urls` text DEFAULT '[]' NOT NULL,
	`contacts` text DEFAULT '[]' NOT NULL,
	`logo_blob_id` text,
	`access` text DEFAULT 'organization' NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`creator_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`creator_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_id_uq` ON `projects` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `projects_org_slug_uq` ON `projects` (`organization_id`,`slug`);--> statement-breakpoint
CREATE INDEX `projects_name_idx` ON `projects` (`name`,`id`);--> statement-breakpoint
CREATE INDEX `projects_created_idx` ON `projects` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `projects_updated_idx` ON `projects` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `projects_org_name_idx` ON `projects` (`organization_id`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `projects_org_created_idx` ON `projects` (`organization_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `projects_org_updated_idx` ON `projects` (`organization_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `projects_org_access_idx` ON `projects` (`organization_id`,`access`);--> statement-breakpoint
CREATE INDEX `projects_type_idx` ON `projects` (`project_type`,`id`);--> statement-breakpoint
CREATE INDEX `projects_country_idx` ON `projects` (`country`,`id`);--> statement-breakpoint
CREATE INDEX `projects_deleted_idx` ON `projects` (`organization_id`,`deleted_at`) WHERE deleted_at IS NOT NULL;