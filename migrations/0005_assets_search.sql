-- Search and map indexes for assets, written by hand (drizzle-kit models neither FTS5 nor R*Tree).
-- Both use assets.seq as rowid and are kept in step by the triggers below.
CREATE VIRTUAL TABLE `assets_fts` USING fts5(
	name, asset_tag, description,
	tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE VIRTUAL TABLE `assets_rtree` USING rtree(seq, min_lon, max_lon, min_lat, max_lat);
--> statement-breakpoint
CREATE TRIGGER `assets_index_insert` AFTER INSERT ON `assets` BEGIN
	INSERT INTO assets_fts (rowid, name, asset_tag, description) VALUES (new.seq, new.name, coalesce(new.asset_tag, ''), new.description);
	INSERT INTO assets_rtree (seq, min_lon, max_lon, min_lat, max_lat)
	SELECT new.seq, new.lon, new.lon, new.lat, new.lat WHERE new.lat IS NOT NULL AND new.lon IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `assets_index_update_text` AFTER UPDATE OF name, asset_tag, description ON `assets` BEGIN
	DELETE FROM assets_fts WHERE rowid = old.seq;
	INSERT INTO assets_fts (rowid, name, asset_tag, description) VALUES (new.seq, new.name, coalesce(new.asset_tag, ''), new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `assets_index_update_point` AFTER UPDATE OF lat, lon ON `assets` BEGIN
	DELETE FROM assets_rtree WHERE seq = old.seq;
	INSERT INTO assets_rtree (seq, min_lon, max_lon, min_lat, max_lat)
	SELECT new.seq, new.lon, new.lon, new.lat, new.lat WHERE new.lat IS NOT NULL AND new.lon IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `assets_index_delete` AFTER DELETE ON `assets` BEGIN
	DELETE FROM assets_fts WHERE rowid = old.seq;
	DELETE FROM assets_rtree WHERE seq = old.seq;
END;
