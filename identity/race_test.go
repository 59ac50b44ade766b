//go:build race

package identity

// raceEnabled is set when the tests run with the race detector, which
// makes the resolver about ten times slower: the longest property tests
// try fewer arrival orders then (every order still runs without it).
const raceEnabled = true
