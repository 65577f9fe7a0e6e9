CREATE TABLE `sweep_state` (
	`name` text PRIMARY KEY NOT NULL,
	`cursor` text,
	`updated_at` integer NOT NULL
);
