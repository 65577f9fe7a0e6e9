CREATE TABLE `project_counts` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`live` integer DEFAULT 0 NOT NULL,
	`open` integer DEFAULT 0 NOT NULL
);
