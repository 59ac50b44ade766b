package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// TestKeepTextFalseDeletesStoredText: starting with privacy.keep_text:
// false deletes the excerpts stored earlier; true leaves them.
func TestKeepTextFalseDeletesStoredText(t *testing.T) {
	for _, tt := range []struct {
		name, privacy, want string
	}{
		{"default keeps", "", "kept words"},
		{"keep_text: true keeps", "privacy:\n  keep_text: true\n", "kept words"},
		{"keep_text: false deletes", "privacy:\n  keep_text: false\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "rollcall.db")
			st, err := sqlite.Open(t.Context(), db)
			if err != nil {
				t.Fatal(err)
			}
			ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "1"}
			if _, err := st.Apply(t.Context(), "gh", connectors.Batch{Activities: []connectors.Activity{{
				Key: "github/github.com/issue_comment/1", Platform: "github", Instance: "github.com", Type: "issue_comment",
				OccurredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Actor: ref, Text: "kept words",
			}}}); err != nil {
				t.Fatal(err)
			}
			st.Close()
			cfg := filepath.Join(dir, "rollcall.yaml")
			if err := os.WriteFile(cfg, []byte("store: "+db+"\n"+tt.privacy), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errOut := runMain(t, "--config", cfg, "--log-level", "warn", "sync", "--once"); code != exitOK {
				t.Fatalf("sync exit = %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			rdb, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			var text string
			if err := rdb.QueryRowContext(t.Context(), `SELECT text FROM activities WHERE key = 'github/github.com/issue_comment/1'`).Scan(&text); err != nil {
				t.Fatal(err)
			}
			if text != tt.want {
				t.Errorf("stored text %q, want %q", text, tt.want)
			}
		})
	}
}
