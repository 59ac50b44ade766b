package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// Forget erases a member in one transaction, as crm/sqlite's Forget does:
// its activities, scoring inputs, levels, webhook events, identities, the
// evidence, suggestions and decisions mentioning its accounts, the
// audit_log rows mentioning it (replaced by one "member N forgotten" row),
// the ETags, missing objects and per-object state entries naming its
// accounts, and the member row;
// a tombstone (hex sha256 of the store's salt and the account key) is kept
// per account, so Apply skips those accounts from then on. It then scrubs
// the tables (see Scrub). An unknown member fails with crm.ErrNotFound. If
// only the scrub fails, the member is forgotten and the error says so.
func (s *Store) Forget(ctx context.Context, memberID int64, actor string) (int, error) {
	var n int
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		var err error
		n, err = s.forget(ctx, tx, memberID, actor)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: forget member %d: %w", memberID, err)
	}
	if err := s.Scrub(ctx); err != nil {
		return n, fmt.Errorf("postgres: member %d is forgotten, but %w", memberID, err)
	}
	return n, nil
}

func (s *Store) forget(ctx context.Context, tx pgx.Tx, memberID int64, actor string) (int, error) {
	// Before reading the member: applies running now end first, and those
	// that start wait for this one (forget_lock, migration 0007).
	var lock int64
	if err := tx.QueryRow(ctx, `SELECT id FROM forget_lock WHERE id = 1 FOR UPDATE`).Scan(&lock); err != nil {
		return 0, fmt.Errorf("lock forget_lock: %w", err)
	}
	now := s.now()
	if err := memberExists(ctx, tx, memberID); err != nil {
		return 0, err
	}
	idents, err := memberIdentities(ctx, tx, memberID)
	if err != nil {
		return 0, err
	}
	ids, keys := identityIDs(idents), storekit.RefKeys(idents)
	type step struct {
		what, query string
		args        []any
	}
	steps := []step{
		{"activities", `DELETE FROM activities WHERE identity_id = ANY($1)`, []any{ids}},
		{"scores", `DELETE FROM identity_scores WHERE identity_id = ANY($1)`, []any{ids}},
		{"interactions", `DELETE FROM interactions WHERE from_identity = ANY($1) OR to_identity = ANY($1)`, []any{ids}},
		{"level", `DELETE FROM member_levels WHERE member_id = $1`, []any{memberID}},
		{"level history", `DELETE FROM level_history WHERE member_id = $1`, []any{memberID}},
		{"webhook events", `DELETE FROM outbox WHERE member_id = $1`, []any{memberID}},
		{"evidence", `DELETE FROM evidence WHERE a_ref = ANY($1) OR b_ref = ANY($1)`, []any{keys}},
		{"suggestions", `DELETE FROM suggestions WHERE a_ref = ANY($1) OR b_ref = ANY($1)`, []any{keys}},
		{"decisions", `DELETE FROM decisions WHERE a_ref = ANY($1) OR b_ref = ANY($1)`, []any{keys}},
		{"audit log", `DELETE FROM audit_log WHERE member_id = $1 OR identity_id = ANY($2)`, []any{memberID, ids}},
		{"overrides", `UPDATE members SET primary_override = NULL WHERE primary_override = ANY($1)`, []any{ids}},
		{"identities", `DELETE FROM identities WHERE id = ANY($1)`, []any{ids}},
		{"member", `DELETE FROM members WHERE id = $1`, []any{memberID}},
		{"search index", `DELETE FROM member_search WHERE member_id = $1`, []any{memberID}},
		{"joins", `DELETE FROM identity_joins WHERE identity_id = ANY($1)`, []any{ids}},
	}
	for _, id := range idents {
		// Audit rows of other members that name the account, raw or as
		// JSON escapes it.
		for _, k := range []string{id.AccountRef.String(), crm.JSONInner(id.AccountRef.String())} {
			steps = append(steps, step{"audit log", `DELETE FROM audit_log WHERE strpos(detail, $1) > 0`, []any{k}})
		}
		// ETags are a cache: dropping one only costs a full fetch.
		for _, v := range append([]string{id.Username, id.URL, id.AvatarURL}, id.Emails...) {
			if len(strings.TrimSpace(v)) < 3 {
				continue
			}
			steps = append(steps, step{"etags", `DELETE FROM etags WHERE strpos(lower(url), lower($1)) > 0`, []any{v}})
		}
		// Missing objects are a cache too: the account's key by id goes
		// exactly, keys naming its handle by substring.
		steps = append(steps, step{"missing objects", `DELETE FROM missing WHERE key = lower($1)`, []any{"user:" + id.ExternalID}})
		if len(strings.TrimSpace(id.Username)) >= 3 {
			steps = append(steps, step{"missing objects", `DELETE FROM missing WHERE strpos(lower(key), lower($1)) > 0`, []any{id.Username}})
		}
		// Connectors' per-object entries about the account
		// (connectors.AccountObjectKey): a queue or a mark, dropping
		// one only costs a lookup.
		steps = append(steps, step{"per-object state", `DELETE FROM objects WHERE right(key, length($1)) = $1`,
			[]any{connectors.AccountObjectKey("", id.ExternalID)}})
	}
	// Joins of other identities whose reason (an audit row) went.
	steps = append(steps, step{"joins", `DELETE FROM identity_joins j WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.id = j.audit_id)`, nil})
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.query, st.args...); err != nil {
			return 0, fmt.Errorf("delete %s: %w", st.what, err)
		}
	}
	for _, id := range idents {
		if _, err := tx.Exec(ctx, `INSERT INTO tombstones (hash, at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
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
	return len(idents), nil
}

// scrubbed are the tables whose deleted rows may hold a forgotten
// member's data or a deleted text excerpt.
var scrubbed = []string{"activities", "identities", "members", "member_search", "evidence", "suggestions", "decisions",
	"audit_log", "identity_joins", "etags", "missing", "objects", "identity_scores", "interactions", "member_levels", "level_history", "outbox"}

// Scrub vacuums the tables that forgetting and DeleteText delete from, so
// that their dead rows are reclaimed now rather than whenever autovacuum
// runs. (The write-ahead log and backups are the operator's to age out.)
// On an engine without VACUUM it does nothing.
func (s *Store) Scrub(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `VACUUM `+strings.Join(scrubbed, ", "))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "0A000" || pe.Code == "42601") {
		return nil // feature_not_supported, syntax_error: no VACUUM here
	}
	if err != nil {
		return fmt.Errorf("scrub %s: vacuum: %w", s.where, err)
	}
	return nil
}
