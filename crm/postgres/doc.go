// Package postgres is rollcall's PostgreSQL store, for communities larger
// than one machine's SQLite file and for several replicas of the daemon
// sharing one database. Open takes a postgres:// URL.
//
// The schema (migrations/, applied by number into schema_migrations) has
// SQLite's tables, columns and value representations: times are UTC text
// in a fixed-width RFC 3339 form (nanoseconds exact, sorting as text),
// JSON is text, flags are 0/1 integers. So `rollcall migrate` copies rows
// one to one between the two stores and both hash alike (crm.CopyStore).
//
// Portability to PostgreSQL-wire distributed engines (CockroachDB,
// YugabyteDB) shapes the SQL: no advisory locks (identity-resolution
// writes lock the one row of resolver_lock FOR UPDATE instead), no DO
// blocks or stored procedures, no LISTEN/NOTIFY, no table inheritance;
// transactions aborted as serialization failures (40001) or deadlocks
// (40P01) run again (Store.inTx). pg_trgm, where the server has it, backs
// member search with a trigram index; without it search scans.
//
// Errors name the database by its URL with the password replaced
// (Redact); a password never reaches a log or an error.
package postgres
