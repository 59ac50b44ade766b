//go:build !linux

package storefault

import "testing"

// Tmpfs needs Linux: the test is skipped elsewhere.
func Tmpfs(t testing.TB, size int64) string {
	t.Skip("skipped: a tmpfs needs Linux")
	return ""
}

// Resize needs Linux.
func Resize(t testing.TB, dir string, size int64) { t.Skip("skipped: a tmpfs needs Linux") }

// ReadOnly needs Linux.
func ReadOnly(t testing.TB, dir string, ro bool) { t.Skip("skipped: a tmpfs needs Linux") }
