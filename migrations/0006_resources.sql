CREATE TABLE `resource_attachments` (
	`resource_id` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`resource_id`, `entity_type`, `entity_id`),
	FOREIGN KEY (`resource_id`) REFERENCES `resources`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `resource_attachments_entity_idx` ON `resource_attachments` (`entity_type`,`entity_id`);--> statement-breakpoint
CREATE TABLE `resources` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`mime_type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`blob_id` text NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`attributes` text DEFAULT '{}' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `resources_name_idx` ON `resources` (`name`,`id`);--> statement-breakpoint
CREATE INDEX `resources_created_idx` ON `resources` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `resources_size_idx` ON `resources` (`size`,`id`);--> statement-breakpoint
CREATE INDEX `resources_org_idx` ON `resources` (`organization_id`);--> statement-breakpoint
CREATE INDEX `resources_blob_idx` ON `resources` (`blob_id`);