// Package frozen is a copy of the Mastodon connector as it was before it
// moved onto go-mastodon (raw HTTP through the shared client), kept only so
// that a test can sync one fake with both and compare every activity,
// account and cursor (see ../../equivalence_test.go). Nothing but that test
// imports it; do not change it, except to keep it compiling.
package frozen
