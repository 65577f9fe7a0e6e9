CREATE TABLE `asset_counts` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`alone` integer DEFAULT 0 NOT NULL,
	`live` integer DEFAULT 0 NOT NULL,
	`open` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `project_asset_counts` (
	`project_id` text PRIMARY KEY NOT NULL,
	`assets` integer DEFAULT 0 NOT NULL
);
