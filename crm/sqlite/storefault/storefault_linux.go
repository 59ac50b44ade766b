//go:build linux

package storefault

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tmpfs mounts a tmpfs of size bytes on a new directory and returns it; it
// is unmounted when the test ends. It needs root (or CAP_SYS_ADMIN): the
// test is skipped without, except in CI (CI=true), where it fails.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+itoa(size)+",mode=0755"); err != nil {
		mustRun(t, "mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// Resize changes the size of the tmpfs mounted on dir (Tmpfs), keeping
// what it holds: a full disk that was grown.
func Resize(t testing.TB, dir string, size int64) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size="+itoa(size)); err != nil {
		t.Fatalf("resize the tmpfs on %s: %v", dir, err)
	}
}

// ReadOnly remounts the tmpfs on dir read-only (ro true) or read-write.
// Linux refuses while a file on it is open for writing: close the store
// first.
func ReadOnly(t testing.TB, dir string, ro bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if ro {
		flags |= syscall.MS_RDONLY
	}
	// Linux answers EBUSY while any process holds a file on dir open for
	// writing. A child forked by a parallel test holds a copy of this
	// process's descriptors until its exec closes them, so EBUSY is retried
	// for a while, but only when no descriptor of this process is on dir:
	// one of ours would be a store left open, which is the test's bug.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Mount("tmpfs", dir, "tmpfs", flags, "")
		if err == nil {
			return
		}
		if errors.Is(err, syscall.EBUSY) {
			if open := openUnder(dir); len(open) > 0 {
				t.Fatalf("remount %s (read-only %v): %v: this process still has %v open", dir, ro, err, open)
			}
			if time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				continue
			}
		}
		t.Fatalf("remount %s (read-only %v): %v", dir, ro, err)
	}
}

// openUnder lists the files under dir that this process has open, read
// from /proc/self/fd.
func openUnder(dir string) []string {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	var open []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	return open
}

func mustRun(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("in CI this test must run: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
