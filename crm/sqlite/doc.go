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
// What does not live here: deciding which identities are one person
// (package identity), and the conformance tests (crm/storetest, which
// sqlite_test.go runs against a real file).
package sqlite
