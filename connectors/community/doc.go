// Package community generates a deterministic, plausible open-source
// community (people of several kinds, their accounts on GitHub, Mastodon,
// Discourse and Stack Overflow, and ~18 months of activity on each) and
// loads it into the service fakes, for tests, benchmarks and `rollcall
// demo`.
//
// Generate builds a Community from a seed, a size (the number of people)
// and a reference time; the same inputs always give the same Community.
// People have accounts on one to four platforms, with the cross-links real
// profiles carry (GitHub blog and social accounts, Mastodon fields verified
// only when the link is mutual, a Discourse website and associated GitHub
// account, a Stack Overflow website_url), look-alikes (different people
// with confusable names, on one platform or across two), impostors (an
// account claiming someone else's GitHub, which does not link back), bots
// and staff.
//
// LoadGitHub, LoadMastodon, LoadDiscourse and LoadStackOverflow (or
// LoadAll) fill the fakes with it, and Truth and TruthJSON tell which
// accounts belong to the same person, the answer the identity resolver is
// measured against.
//
// LoadHostile adds, on each fake, accounts and posts carrying
// HostileValues (escape sequences, bidi overrides, invalid UTF-8, 1 MB,
// script and HTML, javascript: and data: URLs, SQL-looking text): the
// untrusted-input tests. StartWorldWith serves a World with chosen
// credentials (the secrets tests' sentinels) and hostile values.
//
// What does not live here: the fakes themselves (connectors/*/*test) and any
// connector or resolver code. The package uses the standard library only,
// plus the four fakes.
package community
