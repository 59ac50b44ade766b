// Package postgres is the crm.Store for larger communities and for several
// replicas sharing one database: PostgreSQL through pgx (a pgxpool, the
// native API).
//
// Open applies the numbered migrations embedded from migrations/ in order,
// forward only, each in its own transaction, recorded in
// schema_migrations (a schema newer than the program is an error). The
// schema has the same tables, columns and value representations as
// crm/sqlite's, so that rows copy 1:1 between the two: times are
// fixed-width RFC 3339 UTC text (COLLATE "C", so they sort as text), JSON
// is text, booleans are 0/1 integers. member_search is a plain table with
// a pg_trgm GIN index on lower(text) when the extension can be created
// (search works without it, by scan).
//
// Writes run in read-committed transactions that are run again on a
// serialization failure (40001) or a deadlock (40P01). Writes that change
// which identities make a member (Assign, MergeMembers, Merge, Unmerge,
// Forget, DecideSuggestion, ReplaceSuggestions, overrides, marks) first
// lock the one row of resolver_lock (SELECT ... FOR UPDATE), so they run
// one at a time across every process; Apply locks only the identity rows
// it changes. Apply sends its rows in pgx batches.
//
// Incremental identity resolution (keys.go; migration 0006) keeps the same
// identity_dirty marks, written by Apply in the batch's transaction, and
// identity_keys blocking keys as crm/sqlite.
//
// The scoring inputs Apply keeps (as crm/sqlite's scores.go and apply.go
// do) are in scores.go: flushScores folds a batch's crm.ScoreDelta into
// identity_scores, addInteractions adds the batch's edges to
// interactions, rebuildScores and SetDecay rebuild them for a new decay;
// sentiment, reactions and text excerpts (SetKeepText, DeleteText) are in
// apply.go. Pure helpers shared with crm/sqlite (account merging, the
// stored JSON forms, tallies, cursors, join-reason wording) live in
// package crm (crm/stored.go). New write paths (levels, outbox, rankings,
// health) run through Store.write (resolver true when they change
// membership) and read through Store.read.
//
// To run on PostgreSQL-compatible engines (CockroachDB, YugabyteDB) the
// package avoids: advisory locks (locked rows of resolver_lock, levels_lock and forget_lock instead), DO
// blocks and functions, LISTEN/NOTIFY, table inheritance, LOCK TABLE, and
// JSON functions in SQL (sets and tallies are decoded in Go); pg_trgm is
// optional, and Scrub's VACUUM is skipped where unsupported.
//
// What does not live here: deciding which identities are one person
// (package identity), the conformance tests (crm/storetest, run by
// postgres_test.go against a real server), and the test harness that
// makes a fresh database per test (crm/postgres/pgtest).
package postgres
