// Package sqlite is the default crm.Store: one SQLite file, opened with the
// pure-Go modernc.org/sqlite driver in WAL mode.
//
// Open applies the numbered migrations embedded from migrations/ in order,
// forward only, and records each in schema_migrations. Writes go through a
// pool of one connection (BEGIN IMMEDIATE), so writers in this process
// queue instead of failing with SQLITE_BUSY; reads use a separate read-only
// pool and run alongside the writer.
//
// Times are stored as UTC text in a fixed-width RFC 3339 form, so that they
// sort as text, and are returned as UTC time.Time values.
//
// The read model (read.go, stats.go; migrations 0005, 0006) reads kept data, not
// aggregates: each identity's and member's activity count and first and
// last times, written in the same transactions as the changes (Apply,
// Assign, merges, unmerges, overrides, Forget) with work proportional to
// the identities touched; an FTS5 trigram table of each member's names,
// usernames and e-mails (member_search, rowid = member id), rewritten for
// a member only when its text changes and optimized by Scrub so a
// forgotten member leaves nothing in it; and identity_joins, one row per
// time an identity entered a member with the audit_log row that says why.
// Lists page by keyset over indexes on the kept stats.
//
// For incremental identity resolution (keys.go; migration 0015) Apply marks
// each identity it adds or changes, and both identities of new evidence, in
// identity_dirty within the batch's transaction; the resolver files each
// identity's blocking keys (hashes) in identity_keys and finds a new
// identity's candidates through them (identity.IncrementalStore).
//
// What does not live here: deciding which identities are one person
// (package identity), and the conformance tests (crm/storetest, which
// sqlite_test.go runs against a real file).
package sqlite
