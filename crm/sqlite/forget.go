package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// Forget erases a member in one transaction: its activities, identities,
// the evidence, suggestions and decisions mentioning its accounts, the
// audit_log rows mentioning its member id, identity ids or account keys
// (replaced by one row saying "member N forgotten (k identities)"), the
// ETags whose URL names one of its accounts, the missing objects (see
// connectors.MissingSet) keyed by one of its account ids ("user:<id>") or
// naming one of its handles, the per-object state entries about its
// accounts (connectors.AccountObjectKey), and the member row. A
// tombstone (hex sha256 of the store's salt and the account key) is kept
// per account, so Apply skips those accounts, their activities and
// evidence about them from then on. It then scrubs the file (see Scrub).
// An unknown member fails with crm.ErrNotFound. If only the scrub fails,
// the member is forgotten and the error says so; Scrub can be retried.
//
// Connector cursor states are left alone: they are the connectors' own.
func (s *Store) Forget(ctx context.Context, memberID int64, actor string) (int, error) {
	n, err := s.forget(ctx, memberID, actor)
	if err != nil {
		return 0, fmt.Errorf("sqlite: forget member %d: %w", memberID, err)
	}
	if err := s.Scrub(ctx); err != nil {
		return n, fmt.Errorf("sqlite: member %d is forgotten, but %w", memberID, err)
	}
	return n, nil
}

func (s *Store) forget(ctx context.Context, memberID int64, actor string) (int, error) {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := memberExists(ctx, tx, memberID); err != nil {
		return 0, err
	}
	idents, err := memberIdentities(ctx, tx, memberID)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, 0, len(idents))
	for _, id := range idents {
		ids = append(ids, id.ID)
	}
	keys := storekit.RefKeys(idents)
	idsJSON, keysJSON := jsonList(ids), jsonList(keys)

	steps := []struct {
		what, query string
		args        []any
	}{
		{"activities", `DELETE FROM activities WHERE identity_id IN (SELECT value FROM json_each(?))`, []any{idsJSON}},
		{"scores", `DELETE FROM identity_scores WHERE identity_id IN (SELECT value FROM json_each(?))`, []any{idsJSON}},
		{"interactions", `DELETE FROM interactions WHERE from_identity IN (SELECT value FROM json_each(?1)) OR to_identity IN (SELECT value FROM json_each(?1))`, []any{idsJSON}},
		{"level", `DELETE FROM member_levels WHERE member_id = ?`, []any{memberID}},
		{"level history", `DELETE FROM level_history WHERE member_id = ?`, []any{memberID}},
		{"webhook events", `DELETE FROM outbox WHERE member_id = ?`, []any{memberID}},
		{"evidence", `DELETE FROM evidence WHERE a_ref IN (SELECT value FROM json_each(?)) OR b_ref IN (SELECT value FROM json_each(?))`, []any{keysJSON, keysJSON}},
		{"suggestions", `DELETE FROM suggestions WHERE a_ref IN (SELECT value FROM json_each(?)) OR b_ref IN (SELECT value FROM json_each(?))`, []any{keysJSON, keysJSON}},
		{"decisions", `DELETE FROM decisions WHERE a_ref IN (SELECT value FROM json_each(?)) OR b_ref IN (SELECT value FROM json_each(?))`, []any{keysJSON, keysJSON}},
		{"audit log", `DELETE FROM audit_log WHERE member_id = ? OR identity_id IN (SELECT value FROM json_each(?))`, []any{memberID, idsJSON}},
		{"overrides", `UPDATE members SET primary_override = NULL WHERE primary_override IN (SELECT value FROM json_each(?))`, []any{idsJSON}},
		{"identities", `DELETE FROM identities WHERE id IN (SELECT value FROM json_each(?))`, []any{idsJSON}},
		{"member", `DELETE FROM members WHERE id = ?`, []any{memberID}},
		{"search index", `DELETE FROM member_search WHERE rowid = ?`, []any{memberID}},
		{"joins", `DELETE FROM identity_joins WHERE identity_id IN (SELECT value FROM json_each(?))`, []any{idsJSON}},
	}
	for _, id := range idents {
		// Audit rows of other members that name the account, raw or as
		// JSON escapes it.
		for _, k := range []string{id.AccountRef.String(), jsonInner(id.AccountRef.String())} {
			steps = append(steps, struct {
				what, query string
				args        []any
			}{"audit log", `DELETE FROM audit_log WHERE instr(detail, ?) > 0`, []any{k}})
		}
		// ETags are a cache: dropping one only costs a full fetch.
		for _, v := range append([]string{id.Username, id.URL, id.AvatarURL}, id.Emails...) {
			if len(strings.TrimSpace(v)) < 3 {
				continue
			}
			steps = append(steps, struct {
				what, query string
				args        []any
			}{"etags", `DELETE FROM etags WHERE instr(lower(url), lower(?)) > 0`, []any{v}})
		}
		// Missing objects are a cache too: an account's key by id
		// ("user:<external id>") goes exactly, keys naming its handle by
		// substring; dropping one only costs a lookup.
		steps = append(steps, struct {
			what, query string
			args        []any
		}{"missing objects", `DELETE FROM missing WHERE key = lower(?)`, []any{"user:" + id.ExternalID}})
		if len(strings.TrimSpace(id.Username)) >= 3 {
			steps = append(steps, struct {
				what, query string
				args        []any
			}{"missing objects", `DELETE FROM missing WHERE instr(lower(key), lower(?)) > 0`, []any{id.Username}})
		}
		// Connectors' per-object entries about the account
		// (connectors.AccountObjectKey): a queue or a mark, dropping
		// one only costs a lookup.
		steps = append(steps, struct {
			what, query string
			args        []any
		}{"per-object state", `DELETE FROM objects WHERE substr(key, -length(?1)) = ?1`, []any{connectors.AccountObjectKey("", id.ExternalID)}})
	}
	// Joins of other identities whose reason (an audit row) went.
	steps = append(steps, struct {
		what, query string
		args        []any
	}{"joins", `DELETE FROM identity_joins WHERE audit_id NOT IN (SELECT id FROM audit_log)`, nil})
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			return 0, fmt.Errorf("delete %s: %w", st.what, err)
		}
	}
	for _, id := range idents {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (hash, at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			s.tombHash(id.AccountRef), formatTime(now)); err != nil {
			return 0, fmt.Errorf("store tombstone: %w", err)
		}
	}
	if err := audit(ctx, tx, now, actor, "forget", 0, 0, map[string]string{
		"note": fmt.Sprintf("member %d forgotten (%d identities)", memberID, len(idents)),
	}); err != nil {
		return 0, err
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return len(idents), nil
}

// jsonInner is s as it appears inside a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}

// Scrub rewrites the database file so that deleted data is gone from it:
// the search index rewritten whole ('optimize'), VACUUM, then a TRUNCATE checkpoint that empties the write-ahead log. The
// checkpoint waits for readers (in any process) up to the busy timeout and
// fails if they still hold the log.
func (s *Store) Scrub(ctx context.Context) error {
	// Deleted rows of the search index linger in its segments until they
	// are merged: rewrite the index whole.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO member_search (member_search) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("scrub %s: optimize the search index: %w", s.path, err)
	}
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("scrub %s: vacuum: %w", s.path, err)
	}
	deadline := time.Now().Add(busyTimeout)
	for {
		var busy, logFrames, done int
		err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("scrub %s: checkpoint: %w", s.path, err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("scrub %s: checkpoint: readers still hold the write-ahead log; run again", s.path)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("scrub %s: %w", s.path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
