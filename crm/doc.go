// Package crm holds rollcall's domain types (members, identities, activities,
// journeys) and the Store contract that the SQLite and PostgreSQL drivers
// implement. Drivers live in subpackages; crm/storetest is the conformance
// suite every driver runs. Consumers declare the narrow interfaces they need;
// Store exists for the drivers and their conformance tests.
//
// What does not live here: deciding which identities are one person (package
// identity decides, the store only records), and talking to services
// (package connectors).
package crm
