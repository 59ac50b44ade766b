-- Links the platform itself verified (Mastodon rel=me, Discourse associated
-- accounts seen by a staff key), and a network-wide id shared by an
-- account's siblings (Stack Exchange account_id).
ALTER TABLE identities ADD COLUMN verified_links TEXT NOT NULL DEFAULT '[]';
ALTER TABLE identities ADD COLUMN network_id TEXT NOT NULL DEFAULT '';
CREATE INDEX identities_network_id ON identities (platform, network_id) WHERE network_id <> '';
