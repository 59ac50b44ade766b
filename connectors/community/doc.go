// Package community generates a deterministic, plausible open-source
// community (people of several kinds, their accounts and ~18 months of
// activity) and loads it into the service fakes, for tests, benchmarks and
// `rollcall demo`.
//
// Generate builds a Community from a seed, a size (≈ number of people) and a
// reference time; the same inputs always give the same Community.
// LoadGitHub fills a githubtest.Server with it, and Truth tells which
// accounts belong to the same person, the answer the identity resolver is
// measured against.
//
// What does not live here: the fakes themselves (connectors/*/*test) and any
// connector or resolver code. The package uses the standard library only,
// plus githubtest.
package community
