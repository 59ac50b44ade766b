package signin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "credentials")
	path := filepath.Join(dir, "github-token")
	if err := WriteFile(path, "s3cret", false); err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil || string(b) != want+"\n" {
			t.Fatalf("file = %q, %v; want %q", b, err, want+"\n")
		}
		fi, _ := os.Stat(path)
		di, _ := os.Stat(dir)
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Errorf("modes: file %v, directory %v; want 0600 and 0700", fi.Mode().Perm(), di.Mode().Perm())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%d files in the directory: a temporary file is left", len(entries))
		}
	}
	check("s3cret")
	err := WriteFile(path, "other", false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite without force: %v", err)
	}
	if err != nil && contains(err.Error(), "other") {
		t.Error("the error carries the secret")
	}
	check("s3cret")
	if err := WriteFile(path, "other", true); err != nil {
		t.Fatal(err)
	}
	check("other")
}

func TestWriteFileUnwritable(t *testing.T) {
	// A file where the directory should be stops root too.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(filepath.Join(blocker, "x", "tok"), "s3cret", false)
	if err == nil || contains(err.Error(), "s3cret") {
		t.Errorf("WriteFile under a file = %v", err)
	}
	if err := CheckWritable(filepath.Join(blocker, "x")); err == nil {
		t.Error("CheckWritable accepts a directory that cannot exist")
	}
	if err := CheckWritable(t.TempDir()); err != nil {
		t.Errorf("CheckWritable: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
