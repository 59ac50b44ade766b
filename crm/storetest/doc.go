// Package storetest is the conformance suite every crm.Store driver runs:
// call Run from the driver's tests with a function that opens a fresh,
// empty store. The suite uses only the crm.Store contract (plus, when the
// store has it, a TableCounts method to check that replays add no rows), so
// the SQLite and PostgreSQL drivers are held to the same behaviour.
//
// What does not live here: driver-specific tests (migrations, reopening a
// file), which stay next to each driver.
package storetest
