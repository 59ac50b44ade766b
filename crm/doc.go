// Package crm holds rollcall's domain types (members, identities, activities,
// journeys) and the Store contract that the SQLite and PostgreSQL drivers
// implement. Drivers live in subpackages; crm/storetest is the conformance
// suite every driver runs. Consumers declare the narrow interfaces they need;
// Store exists for the drivers and their conformance tests.
//
// The read model (read.go) is what the CLI, the web pages and /api/v1 read:
// paged member lists (ListMembers with search, filters, sorts and opaque
// cursors), a member's timeline, activity chart, milestones and join
// reasons, gathered by ReadJourneyPage. The public JSON shapes (json.go)
// are defined once here, with constructors (MemberView, JourneyView,
// MemberPageView, JourneyPageView, SuggestionView), so the CLI's
// --format json and the API print the same bytes for the same data.
//
// Scoring is pure functions of the store's score data (scoredata.go,
// tally.go): Health (health.go) computes the community health report, whose
// type HealthReport is also its public JSON shape; ReadHealth reads its
// inputs from a ScoreReader.
//
// What does not live here: deciding which identities are one person (package
// identity decides, the store only records), and talking to services
// (package connectors).
package crm
