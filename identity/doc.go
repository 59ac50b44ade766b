// Package identity decides which member each account belongs to. It reads
// identities and evidence through a narrow interface and records its
// decisions through the store; it never writes SQL and never talks to a
// service.
//
// This first version is deliberately conservative: an account already known
// keeps its member; a git commit author that the forge linked to a login
// joins that login's member; anything else becomes a new member. The full
// evidence-weighing resolver replaces Resolve's rules without changing the
// seam.
package identity
