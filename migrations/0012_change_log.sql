CREATE TABLE `changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` text NOT NULL,
	`project_id` text,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`op` text NOT NULL,
	`version` integer,
	`view` text,
	`actor_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `changes_org_seq_idx` ON `changes` (`organization_id`,`seq`);--> statement-breakpoint
CREATE INDEX `changes_entity_idx` ON `changes` (`entity_type`,`entity_id`,`seq`);--> statement-breakpoint
CREATE INDEX `changes_view_idx` ON `changes` (`organization_id`,`seq`) WHERE view IS NOT NULL;--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`owner` text NOT NULL,
	`key` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`fingerprint` text,
	`answer` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `write_context` (
	`id` integer PRIMARY KEY NOT NULL,
	`actor_id` text,
	`at` integer NOT NULL,
	CONSTRAINT "write_context_one_row" CHECK(id = 1)
);
