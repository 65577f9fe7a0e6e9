DROP INDEX `projects_name_idx`;--> statement-breakpoint
DROP INDEX `projects_created_idx`;--> statement-breakpoint
DROP INDEX `projects_updated_idx`;--> statement-breakpoint
CREATE INDEX `projects_name_idx` ON `projects` (`name`,`id`,`organization_id`,`access`,`deleted_at`);--> statement-breakpoint
CREATE INDEX `projects_created_idx` ON `projects` (`created_at`,`id`,`organization_id`,`access`,`deleted_at`);--> statement-breakpoint
CREATE INDEX `projects_updated_idx` ON `projects` (`updated_at`,`id`,`organization_id`,`access`,`deleted_at`);