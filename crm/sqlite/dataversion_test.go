package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// TestDataVersion: the version changes with every commit, from this Store
// or another one on the same file (another process), and not with reads.
func TestDataVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s, other := open(t, path), open(t, path)
	ctx := t.Context()
	version := func() int64 {
		t.Helper()
		v, err := s.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	batch := func(id string) connectors.Batch {
		return connectors.Batch{Accounts: []connectors.Account{{
			AccountRef: connectors.AccountRef{Platform: connectors.PlatformGitHub, Instance: "github.com", ExternalID: id}, Username: "u" + id,
		}}}
	}
	v0 := version()
	if v := version(); v != v0 {
		t.Errorf("version changed with nothing committed: %d, then %d", v0, v)
	}
	if _, err := s.Members(ctx, crm.MemberQuery{}); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != v0 {
		t.Errorf("a read changed the version: %d, then %d", v0, v)
	}
	if _, err := s.Apply(ctx, "src", batch("1")); err != nil {
		t.Fatal(err)
	}
	v1 := version()
	if v1 == v0 {
		t.Errorf("a commit of this store left the version at %d", v0)
	}
	if _, err := other.Apply(ctx, "src", batch("2")); err != nil {
		t.Fatal(err)
	}
	if v := version(); v == v1 {
		t.Errorf("a commit of another store on the file left the version at %d", v1)
	}
}
