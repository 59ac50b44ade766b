package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// Keys of the settings table.
const (
	settingSalt    = "tombstone_salt"
	settingVersion = "decisions_version"
)

// loadSalt creates the store's tombstone salt on first use (32 bytes from
// crypto/rand) and caches it.
func (s *Store) loadSalt(ctx context.Context) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("sqlite: create tombstone salt: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		settingSalt, hex.EncodeToString(b[:])); err != nil {
		return fmt.Errorf("sqlite: store tombstone salt in %s: %w", s.path, err)
	}
	var v string
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingSalt).Scan(&v); err != nil {
		return fmt.Errorf("sqlite: read tombstone salt of %s: %w", s.path, err)
	}
	salt, err := hex.DecodeString(v)
	if err != nil || len(salt) == 0 {
		return fmt.Errorf("sqlite: tombstone salt of %s is malformed", s.path)
	}
	s.salt = salt
	return nil
}

// tombHash is hex(sha256(salt || account key)).
func (s *Store) tombHash(ref connectors.AccountRef) string {
	h := sha256.New()
	h.Write(s.salt)
	h.Write([]byte(ref.String()))
	return hex.EncodeToString(h.Sum(nil))
}

// tombs answers whether accounts were forgotten, within one transaction,
// remembering its answers.
type tombs struct {
	s       *Store
	q       querier
	checked bool // whether any is known
	any     bool // whether there is any tombstone at all
	memo    map[connectors.AccountRef]bool
}

func (s *Store) tombs(q querier) *tombs {
	return &tombs{s: s, q: q, memo: make(map[connectors.AccountRef]bool)}
}

const (
	anyTombstoneSQL = `SELECT EXISTS (SELECT 1 FROM tombstones)`
	tombstoneSQL    = `SELECT EXISTS (SELECT 1 FROM tombstones WHERE hash = ?)`
)

// has reports whether ref's account was forgotten.
func (t *tombs) has(ctx context.Context, ref connectors.AccountRef) (bool, error) {
	if !t.checked {
		if err := t.q.QueryRowContext(ctx, anyTombstoneSQL).Scan(&t.any); err != nil {
			return false, fmt.Errorf("read tombstones: %w", err)
		}
		t.checked = true
	}
	if !t.any {
		return false, nil
	}
	if v, ok := t.memo[ref]; ok {
		return v, nil
	}
	var v bool
	if err := t.q.QueryRowContext(ctx, tombstoneSQL, t.s.tombHash(ref)).Scan(&v); err != nil {
		return false, fmt.Errorf("read tombstones: %w", err)
	}
	t.memo[ref] = v
	return v, nil
}

// bumpVersion changes decisions_version.
func bumpVersion(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = ?`, settingVersion); err != nil {
		return fmt.Errorf("bump decisions version: %w", err)
	}
	return nil
}

// audit writes one audit_log row; member and identity 0 are stored as NULL.
func audit(ctx context.Context, tx *sql.Tx, now time.Time, actor, action string, member, identity int64, detail any) error {
	_, err := auditID(ctx, tx, now, actor, action, member, identity, detail)
	return err
}

// auditID writes one audit_log row as audit does and returns its id.
func auditID(ctx context.Context, tx *sql.Tx, now time.Time, actor, action string, member, identity int64, detail any) (int64, error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, member_id, identity_id, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, formatTime(now), actor, action, nullID(member), nullID(identity), string(b))
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	id, err := r.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	return id, nil
}

// recordJoins notes that the identities (by account key) entered member,
// for the reason audit row auditID gives (see JoinReasons).
func recordJoins(ctx context.Context, tx *sql.Tx, member, auditID int64, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO identity_joins (identity_id, member_id, audit_id)
		SELECT id, ?, ? FROM identities WHERE member_id = ?
			AND platform || '/' || instance || '/' || external_id IN (SELECT value FROM json_each(?))
		ORDER BY id`, member, auditID, member, jsonList(keys)); err != nil {
		return fmt.Errorf("record joins into member %d: %w", member, err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// memberExists fails with crm.ErrNotFound when there is no such member row.
func memberExists(ctx context.Context, q querier, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM members WHERE id = ?`, id).Scan(&one)
	if err == sql.ErrNoRows {
		return fmt.Errorf("member %d: %w", id, crm.ErrNotFound)
	}
	return err
}

// memberIdentities loads the member's identities in id order.
func memberIdentities(ctx context.Context, q querier, member int64) ([]crm.Identity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+identityCols+` FROM identities WHERE member_id = ? ORDER BY id`, member)
	if err != nil {
		return nil, fmt.Errorf("identities of member %d: %w", member, err)
	}
	defer rows.Close()
	var out []crm.Identity
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("identities of member %d: %w", member, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // strings and ints always marshal
	return string(b)
}

// newMember creates an empty member; recomputeMember names it.
func newMember(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	r, err := tx.ExecContext(ctx, `INSERT INTO members (name, created_at) VALUES ('', ?)`, formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("create member: %w", err)
	}
	return r.LastInsertId()
}

// absorb moves every identity of member from into member into, keeps
// from's overrides and mark where into has none, and deletes from.
func absorb(ctx context.Context, tx *sql.Tx, into, from int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE identities SET member_id = ? WHERE member_id = ?`, into, from); err != nil {
		return fmt.Errorf("move identities of member %d to %d: %w", from, into, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET
		name_override = COALESCE(NULLIF(name_override, ''), (SELECT name_override FROM members WHERE id = ?)),
		primary_override = COALESCE(primary_override, (SELECT primary_override FROM members WHERE id = ?)),
		role_mark = COALESCE(role_mark, (SELECT role_mark FROM members WHERE id = ?))
		WHERE id = ?`, from, from, from, into); err != nil {
		return fmt.Errorf("keep overrides of member %d: %w", from, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE id = ?`, from); err != nil {
		return fmt.Errorf("delete member %d: %w", from, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM member_search WHERE rowid = ?`, from); err != nil {
		return fmt.Errorf("drop member %d from the search index: %w", from, err)
	}
	return nil
}

// The statements of recomputeMember.
const (
	memberOverridesSQL = `SELECT name_override, primary_override FROM members WHERE id = ?`
	primaryOverrideSQL = `SELECT id, name, username FROM identities WHERE id = ? AND member_id = ?`
	// primaryIdentitySQL picks the member's primary identity as
	// recomputeMember says.
	primaryIdentitySQL = `SELECT i.id, i.name, i.username FROM identities i
		WHERE i.member_id = ?
		ORDER BY (i.name != '') + (i.url != '') + (i.avatar_url != '') + json_array_length(i.links)
				+ (i.profile_fetched_at IS NOT NULL) DESC,
			i.activity_count DESC,
			i.id
		LIMIT 1`
	nameMemberSQL = `UPDATE members SET name = ?, primary_identity_id = ? WHERE id = ?`
)

// recomputeMember sets the member's stats (see refreshStats), primary
// identity, display name and search text (see refreshSearch). The
// primary is the primary_override while that identity is in the member,
// else the identity with the most complete profile (name, url, avatar,
// each link, a fetched profile count one each), then the most activity,
// then the lowest id. The name is the name_override, else the primary's
// name, else its username.
func recomputeMember(ctx context.Context, tx querier, member int64) (err error) {
	var nameOv sql.NullString
	var primOv sql.NullInt64
	err = tx.QueryRowContext(ctx, memberOverridesSQL, member).Scan(&nameOv, &primOv)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if err := refreshStats(ctx, tx, member); err != nil {
		return fmt.Errorf("member stats: %w", err)
	}
	defer func() {
		if err == nil {
			if err = refreshSearch(ctx, tx, member); err != nil {
				err = fmt.Errorf("search index: %w", err)
			}
		}
	}()
	var id int64
	var name, username string
	found := false
	if primOv.Valid {
		err := tx.QueryRowContext(ctx, primaryOverrideSQL, primOv.Int64, member).Scan(&id, &name, &username)
		switch {
		case err == nil:
			found = true
		case err != sql.ErrNoRows:
			return err
		}
	}
	if !found {
		err := tx.QueryRowContext(ctx, primaryIdentitySQL, member).Scan(&id, &name, &username)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if name == "" {
		name = username
	}
	if nameOv.Valid && nameOv.String != "" {
		name = nameOv.String
	}
	_, err = tx.ExecContext(ctx, nameMemberSQL, name, id, member)
	return err
}

// AllIdentities calls fn for every identity, assigned or not, in id order,
// streaming rows from one read transaction. An error from fn stops the walk
// and is returned as is.
func (s *Store) AllIdentities(ctx context.Context, fn func(crm.Identity) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT `+identityCols+` FROM identities ORDER BY id`)
	if err != nil {
		return fmt.Errorf("sqlite: read all identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return fmt.Errorf("sqlite: read all identities: %w", err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: read all identities: %w", err)
	}
	return nil
}

// AllEvidence calls fn for every stored evidence pair, in insertion order,
// streaming rows. An error from fn stops the walk and is returned as is.
func (s *Store) AllEvidence(ctx context.Context, fn func(kind string, a, b connectors.AccountRef) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, a_ref, b_ref FROM evidence ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("sqlite: read all evidence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, a, b string
		if err := rows.Scan(&kind, &a, &b); err != nil {
			return fmt.Errorf("sqlite: read all evidence: %w", err)
		}
		ra, err := crm.ParseAccountKey(a)
		if err != nil {
			return fmt.Errorf("sqlite: read all evidence: %w", err)
		}
		rb, err := crm.ParseAccountKey(b)
		if err != nil {
			return fmt.Errorf("sqlite: read all evidence: %w", err)
		}
		if err := fn(kind, ra, rb); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: read all evidence: %w", err)
	}
	return nil
}

// Decisions lists every recorded decision, oldest first. Later decisions
// about the same pair win over earlier ones.
func (s *Store) Decisions(ctx context.Context) ([]crm.Decision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, a_ref, b_ref, actor, reason, at FROM decisions ORDER BY at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read decisions: %w", err)
	}
	defer rows.Close()
	var out []crm.Decision
	for rows.Next() {
		var d crm.Decision
		var a, b, at string
		if err := rows.Scan(&d.ID, &d.Kind, &a, &b, &d.Actor, &d.Reason, &at); err != nil {
			return nil, fmt.Errorf("sqlite: read decisions: %w", err)
		}
		if d.A, err = crm.ParseAccountKey(a); err == nil {
			if d.B, err = crm.ParseAccountKey(b); err == nil {
				d.At, err = parseTime(at)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: read decision %d: %w", d.ID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read decisions: %w", err)
	}
	return out, nil
}

// DecisionsVersion returns a counter that every Merge, Unmerge,
// DecideSuggestion, Forget, SetOverride, ClearOverride and AddDecision
// increases.
func (s *Store) DecisionsVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?`, settingVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read decisions version: %w", err)
	}
	return v, nil
}

// insertDecision records d (its ID and At are ignored) and returns its id.
func insertDecision(ctx context.Context, tx *sql.Tx, now time.Time, d crm.Decision) (int64, error) {
	if d.Kind != crm.DecisionMerge && d.Kind != crm.DecisionSeparate {
		return 0, fmt.Errorf("decision kind %q: want %q or %q", d.Kind, crm.DecisionMerge, crm.DecisionSeparate)
	}
	if d.A.IsZero() || d.B.IsZero() || d.A == d.B {
		return 0, fmt.Errorf("decision %s %s-%s: needs two different accounts", d.Kind, d.A, d.B)
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO decisions (kind, a_ref, b_ref, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.Kind, d.A.String(), d.B.String(), d.Actor, d.Reason, formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("record decision: %w", err)
	}
	return r.LastInsertId()
}

// AddDecision records a decision by itself (no membership changes; the
// resolver applies it on its next run), audits it and bumps the version.
// It returns the decision's id.
func (s *Store) AddDecision(ctx context.Context, d crm.Decision) (int64, error) {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: add decision: %w", err)
	}
	defer tx.Rollback()
	id, err := addDecision(ctx, tx, now, d)
	if err != nil {
		return 0, fmt.Errorf("sqlite: add decision: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: add decision: commit: %w", err)
	}
	return id, nil
}

func addDecision(ctx context.Context, tx *sql.Tx, now time.Time, d crm.Decision) (int64, error) {
	id, err := insertDecision(ctx, tx, now, d)
	if err != nil {
		return 0, err
	}
	if err := audit(ctx, tx, now, d.Actor, "decide", 0, 0, map[string]any{
		"kind": d.Kind, "a": d.A.String(), "b": d.B.String(), "reason": d.Reason, "decision": id,
	}); err != nil {
		return 0, err
	}
	return id, bumpVersion(ctx, tx)
}

// latestDecisions returns, for each pair of an account in xs and one in
// ys that people decided about, the kind of the latest decision.
func latestDecisions(ctx context.Context, q querier, xs, ys []string) (map[[2]string]string, error) {
	x, y := jsonList(xs), jsonList(ys)
	rows, err := q.QueryContext(ctx, `SELECT kind, a_ref, b_ref FROM decisions
		WHERE (a_ref IN (SELECT value FROM json_each(?)) AND b_ref IN (SELECT value FROM json_each(?)))
		   OR (a_ref IN (SELECT value FROM json_each(?)) AND b_ref IN (SELECT value FROM json_each(?)))
		ORDER BY at, id`, x, y, y, x)
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	defer rows.Close()
	out := make(map[[2]string]string)
	for rows.Next() {
		var kind, a, b string
		if err := rows.Scan(&kind, &a, &b); err != nil {
			return nil, fmt.Errorf("read decisions: %w", err)
		}
		out[storekit.PairKey(a, b)] = kind
	}
	return out, rows.Err()
}

// MergeMembers records the resolver's merges in one transaction: every
// identity of From moves into Into, From disappears, Into's name and
// primary are recomputed, and an audit_log row (actor "resolver", action
// "merge") keeps the reason and evidence. A merge that contradicts
// people's latest decision that two accounts across the members are
// different people (DecisionSeparate) is skipped with an audit note
// (action "merge_refused"), not an error. Into == From is a no-op; an
// unknown member fails with crm.ErrNotFound and nothing is recorded.
func (s *Store) MergeMembers(ctx context.Context, ms []crm.MemberMerge) error {
	if len(ms) == 0 {
		return nil
	}
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: merge %d members: begin: %w", len(ms), err)
	}
	defer tx.Rollback()
	for _, m := range ms {
		if err := mergeMembers(ctx, tx, now, m); err != nil {
			return fmt.Errorf("sqlite: merge member %d into %d: %w", m.From, m.Into, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: merge %d members: commit: %w", len(ms), err)
	}
	return nil
}

func mergeMembers(ctx context.Context, tx *sql.Tx, now time.Time, m crm.MemberMerge) error {
	if m.Into == m.From {
		return nil
	}
	for _, id := range []int64{m.Into, m.From} {
		if err := memberExists(ctx, tx, id); err != nil {
			return err
		}
	}
	into, err := memberIdentities(ctx, tx, m.Into)
	if err != nil {
		return err
	}
	from, err := memberIdentities(ctx, tx, m.From)
	if err != nil {
		return err
	}
	intoKeys, fromKeys := storekit.RefKeys(into), storekit.RefKeys(from)
	decided, err := latestDecisions(ctx, tx, intoKeys, fromKeys)
	if err != nil {
		return err
	}
	detail := map[string]any{
		"reason": m.Reason, "evidence": m.Evidence, "from": m.From,
		"accounts": fromKeys, "into_accounts": intoKeys,
	}
	for pair, kind := range decided {
		if kind == crm.DecisionSeparate {
			detail["refused"] = fmt.Sprintf("people decided %s and %s are different people", pair[0], pair[1])
			return audit(ctx, tx, now, "resolver", "merge_refused", m.Into, 0, detail)
		}
	}
	if err := absorb(ctx, tx, m.Into, m.From); err != nil {
		return err
	}
	aid, err := auditID(ctx, tx, now, "resolver", "merge", m.Into, 0, detail)
	if err != nil {
		return err
	}
	if err := recordJoins(ctx, tx, m.Into, aid, fromKeys); err != nil {
		return err
	}
	return recomputeMember(ctx, tx, m.Into)
}

// Merge joins the members owning accounts a and b and records a
// DecisionMerge, in one transaction; it returns the surviving member (the
// lower id). Either account must have an identity (else crm.ErrNotFound).
// An unassigned identity joins the other's member; two unassigned ones get
// a new member. When both are already in one member, Merge changes nothing
// and returns it.
func (s *Store) Merge(ctx context.Context, a, b connectors.AccountRef, actor, reason string) (int64, error) {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: merge %s and %s: %w", a, b, err)
	}
	defer tx.Rollback()
	id, err := mergeRefs(ctx, tx, now, a, b, actor, reason)
	if err != nil {
		return 0, fmt.Errorf("sqlite: merge %s and %s: %w", a, b, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: merge %s and %s: commit: %w", a, b, err)
	}
	return id, nil
}

func mergeRefs(ctx context.Context, tx *sql.Tx, now time.Time, a, b connectors.AccountRef, actor, reason string) (int64, error) {
	ia, err := identityByRef(ctx, tx, a)
	if err != nil {
		return 0, err
	}
	ib, err := identityByRef(ctx, tx, b)
	if err != nil {
		return 0, err
	}
	if ia.ID == ib.ID {
		if ia.MemberID == 0 {
			return 0, fmt.Errorf("merging %s with itself: %w", a, crm.ErrConflict)
		}
		return ia.MemberID, nil
	}
	if ia.MemberID != 0 && ia.MemberID == ib.MemberID {
		return ia.MemberID, nil
	}
	var into, from int64
	var moved []string
	switch {
	case ia.MemberID == 0 && ib.MemberID == 0:
		if into, err = newMember(ctx, tx, now); err != nil {
			return 0, err
		}
		moved = []string{a.String(), b.String()}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET member_id = ? WHERE id IN (?, ?)`, into, ia.ID, ib.ID); err != nil {
			return 0, err
		}
	case ia.MemberID == 0 || ib.MemberID == 0:
		lone := ia
		into = ib.MemberID
		if ib.MemberID == 0 {
			lone, into = ib, ia.MemberID
		}
		moved = []string{lone.AccountRef.String()}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET member_id = ? WHERE id = ?`, into, lone.ID); err != nil {
			return 0, err
		}
	default:
		into, from = min(ia.MemberID, ib.MemberID), max(ia.MemberID, ib.MemberID)
		ids, err := memberIdentities(ctx, tx, from)
		if err != nil {
			return 0, err
		}
		moved = storekit.RefKeys(ids)
		if err := absorb(ctx, tx, into, from); err != nil {
			return 0, err
		}
	}
	d := crm.Decision{Kind: crm.DecisionMerge, A: a, B: b, Actor: actor, Reason: reason}
	did, err := insertDecision(ctx, tx, now, d)
	if err != nil {
		return 0, err
	}
	aid, err := auditID(ctx, tx, now, actor, "merge", into, 0, map[string]any{
		"reason": reason, "a": a.String(), "b": b.String(), "from": from, "accounts": moved, "decision": did,
	})
	if err != nil {
		return 0, err
	}
	if err := recordJoins(ctx, tx, into, aid, moved); err != nil {
		return 0, err
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return 0, err
	}
	return into, recomputeMember(ctx, tx, into)
}

// Unmerge moves the identity of ref out of member memberID into a new
// member, records a DecisionSeparate between ref and every other identity
// of the old member, audits, and returns the new member id. The identity
// must be in that member and not be its only one (else crm.ErrConflict);
// an unknown account or member fails with crm.ErrNotFound.
func (s *Store) Unmerge(ctx context.Context, memberID int64, ref connectors.AccountRef, actor, reason string) (int64, error) {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: unmerge %s from member %d: %w", ref, memberID, err)
	}
	defer tx.Rollback()
	id, err := unmerge(ctx, tx, now, memberID, ref, actor, reason)
	if err != nil {
		return 0, fmt.Errorf("sqlite: unmerge %s from member %d: %w", ref, memberID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: unmerge %s from member %d: commit: %w", ref, memberID, err)
	}
	return id, nil
}

func unmerge(ctx context.Context, tx *sql.Tx, now time.Time, memberID int64, ref connectors.AccountRef, actor, reason string) (int64, error) {
	if err := memberExists(ctx, tx, memberID); err != nil {
		return 0, err
	}
	ident, err := identityByRef(ctx, tx, ref)
	if err != nil {
		return 0, err
	}
	if ident.MemberID != memberID {
		return 0, fmt.Errorf("identity %s is not in member %d: %w", ref, memberID, crm.ErrConflict)
	}
	all, err := memberIdentities(ctx, tx, memberID)
	if err != nil {
		return 0, err
	}
	if len(all) < 2 {
		return 0, fmt.Errorf("identity %s is the only one of member %d: %w", ref, memberID, crm.ErrConflict)
	}
	nm, err := newMember(ctx, tx, now)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE identities SET member_id = ? WHERE id = ?`, nm, ident.ID); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET primary_override = NULL WHERE id = ? AND primary_override = ?`,
		memberID, ident.ID); err != nil {
		return 0, err
	}
	var separated []string
	for _, o := range all {
		if o.ID == ident.ID {
			continue
		}
		if _, err := insertDecision(ctx, tx, now, crm.Decision{
			Kind: crm.DecisionSeparate, A: ref, B: o.AccountRef, Actor: actor, Reason: reason,
		}); err != nil {
			return 0, err
		}
		separated = append(separated, o.AccountRef.String())
	}
	aid, err := auditID(ctx, tx, now, actor, "unmerge", memberID, ident.ID, map[string]any{
		"reason": reason, "account": ref.String(), "new_member": nm, "separated_from": separated,
	})
	if err != nil {
		return 0, err
	}
	if err := recordJoins(ctx, tx, nm, aid, []string{ref.String()}); err != nil {
		return 0, err
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return 0, err
	}
	if err := recomputeMember(ctx, tx, memberID); err != nil {
		return 0, err
	}
	return nm, recomputeMember(ctx, tx, nm)
}

// Suggestions lists suggestions with the given status ("" = all), highest
// confidence first (ties by id), each with the members owning its accounts
// now (0: none).
func (s *Store) Suggestions(ctx context.Context, status string) ([]crm.Suggestion, error) {
	out, _, err := s.suggestions(ctx, status, 0, -1)
	return out, err
}

// SuggestionPage is the limit suggestions of status ("" for all) after
// the first offset, in Suggestions' order, and how many there are in all:
// a page of the review list reads its own rows and members only.
func (s *Store) SuggestionPage(ctx context.Context, status string, offset, limit int) ([]crm.Suggestion, int, error) {
	return s.suggestions(ctx, status, max(offset, 0), max(limit, 0))
}

// suggestions reads limit suggestions after offset (limit < 0: all) and
// their total.
func (s *Store) suggestions(ctx context.Context, status string, offset, limit int) ([]crm.Suggestion, int, error) {
	switch status {
	case "", crm.SuggestionOpen, crm.SuggestionAccepted, crm.SuggestionRejected:
	default:
		return nil, 0, fmt.Errorf("sqlite: list suggestions: unknown status %q", status)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list suggestions: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM suggestions WHERE ? = '' OR status = ?`, status, status).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count suggestions: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, a_ref, b_ref, confidence, reasons, status, created FROM suggestions
		WHERE ? = '' OR status = ? ORDER BY confidence DESC, id LIMIT ? OFFSET ?`, status, status, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list suggestions: %w", err)
	}
	var out []crm.Suggestion
	for rows.Next() {
		sg, err := scanSuggestion(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("sqlite: list suggestions: %w", err)
		}
		out = append(out, sg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: list suggestions: %w", err)
	}
	for i := range out {
		if out[i].MemberA, err = memberOf(ctx, tx, out[i].A); err == nil {
			out[i].MemberB, err = memberOf(ctx, tx, out[i].B)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: list suggestions: %w", err)
		}
	}
	return out, total, nil
}

func scanSuggestion(sc scanner) (crm.Suggestion, error) {
	var sg crm.Suggestion
	var a, b, reasons, created string
	if err := sc.Scan(&sg.ID, &a, &b, &sg.Confidence, &reasons, &sg.Status, &created); err != nil {
		return sg, err
	}
	var err error
	if sg.A, err = crm.ParseAccountKey(a); err == nil {
		if sg.B, err = crm.ParseAccountKey(b); err == nil {
			if sg.Created, err = parseTime(created); err == nil {
				err = json.Unmarshal([]byte(reasons), &sg.Reasons)
			}
		}
	}
	if err != nil {
		return sg, fmt.Errorf("suggestion %d: %w", sg.ID, err)
	}
	return sg, nil
}

// memberOf returns the member owning ref's identity, 0 if none.
func memberOf(ctx context.Context, q querier, ref connectors.AccountRef) (int64, error) {
	var m sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT member_id FROM identities WHERE platform = ? AND instance = ? AND external_id = ?`,
		ref.Platform, ref.Instance, ref.ExternalID).Scan(&m)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return m.Int64, err
}

// DecideSuggestion accepts (merging its accounts as Merge does) or rejects
// (recording a DecisionSeparate) an open suggestion, in one transaction.
// An unknown suggestion fails with crm.ErrNotFound, one already decided
// with crm.ErrConflict.
func (s *Store) DecideSuggestion(ctx context.Context, id int64, accept bool, actor string) error {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: decide suggestion %d: %w", id, err)
	}
	defer tx.Rollback()
	if err := decideSuggestion(ctx, tx, now, id, accept, actor); err != nil {
		return fmt.Errorf("sqlite: decide suggestion %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: decide suggestion %d: commit: %w", id, err)
	}
	return nil
}

func decideSuggestion(ctx context.Context, tx *sql.Tx, now time.Time, id int64, accept bool, actor string) error {
	sg, err := scanSuggestion(tx.QueryRowContext(ctx, `SELECT id, a_ref, b_ref, confidence, reasons, status, created
		FROM suggestions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("no such suggestion: %w", crm.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if sg.Status != crm.SuggestionOpen {
		return fmt.Errorf("suggestion is already %s: %w", sg.Status, crm.ErrConflict)
	}
	status := crm.SuggestionRejected
	if accept {
		status = crm.SuggestionAccepted
		if _, err := mergeRefs(ctx, tx, now, sg.A, sg.B, actor, fmt.Sprintf("suggestion %d accepted", id)); err != nil {
			return err
		}
	} else {
		if _, err := addDecision(ctx, tx, now, crm.Decision{
			Kind: crm.DecisionSeparate, A: sg.A, B: sg.B, Actor: actor, Reason: fmt.Sprintf("suggestion %d rejected", id),
		}); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE suggestions SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?`,
		status, formatTime(now), actor, id)
	return err
}

// ReplaceSuggestions replaces the open suggestions with ss in one
// transaction. Pairs are normalised (a < b by key); a pair still suggested
// keeps its id and creation time. Skipped: pairs already accepted or
// rejected, pairs people decided about (either kind), pairs whose accounts
// are in one member already, forgotten accounts, and a ref paired with
// itself.
func (s *Store) ReplaceSuggestions(ctx context.Context, ss []crm.Suggestion) error {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: replace suggestions: %w", err)
	}
	defer tx.Rollback()
	if err := s.replaceSuggestions(ctx, tx, now, ss); err != nil {
		return fmt.Errorf("sqlite: replace suggestions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: replace suggestions: commit: %w", err)
	}
	return nil
}

func (s *Store) replaceSuggestions(ctx context.Context, tx *sql.Tx, now time.Time, ss []crm.Suggestion) error {
	return s.replaceSuggestionsIn(ctx, tx, now, ss, nil)
}

// replaceSuggestionsIn is replaceSuggestions that, with scope, deletes
// only the open suggestions with an account of scope (by key) on a side.
func (s *Store) replaceSuggestionsIn(ctx context.Context, tx *sql.Tx, now time.Time, ss []crm.Suggestion, scope map[string]bool) error {
	type row struct {
		id     int64
		status string
	}
	existing := make(map[[2]string]row)
	query, args := `SELECT id, a_ref, b_ref, status FROM suggestions`, []any(nil)
	if scope != nil {
		// Only the suggestions in scope, and those of the pairs in ss.
		query += ` WHERE a_ref IN (SELECT value FROM json_each(?1)) OR b_ref IN (SELECT value FROM json_each(?1))`
		list, err := json.Marshal(scopeKeys(scope, ss))
		if err != nil {
			return err
		}
		args = []any{string(list)}
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r row
		var a, b string
		if err := rows.Scan(&r.id, &a, &b, &r.status); err != nil {
			rows.Close()
			return err
		}
		existing[[2]string{a, b}] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ts := s.tombs(tx)
	keep := make(map[[2]string]bool)
	for _, sg := range ss {
		a, b := sg.A, sg.B
		if a.IsZero() || b.IsZero() || a == b {
			continue
		}
		if b.String() < a.String() {
			a, b = b, a
		}
		pair := [2]string{a.String(), b.String()}
		if r, ok := existing[pair]; ok && r.status != crm.SuggestionOpen {
			continue
		}
		var decided bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM decisions
			WHERE (a_ref = ? AND b_ref = ?) OR (a_ref = ? AND b_ref = ?))`, pair[0], pair[1], pair[1], pair[0]).Scan(&decided); err != nil {
			return err
		}
		if decided {
			continue
		}
		ta, err := ts.has(ctx, a)
		if err != nil {
			return err
		}
		tb, err := ts.has(ctx, b)
		if err != nil {
			return err
		}
		if ta || tb {
			continue
		}
		ma, err := memberOf(ctx, tx, a)
		if err != nil {
			return err
		}
		mb, err := memberOf(ctx, tx, b)
		if err != nil {
			return err
		}
		if ma != 0 && ma == mb {
			continue
		}
		created := sg.Created
		if created.IsZero() {
			created = now
		}
		reasons := sg.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		rj, err := json.Marshal(reasons)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO suggestions (a_ref, b_ref, confidence, reasons, status, created)
			VALUES (?, ?, ?, ?, 'open', ?)
			ON CONFLICT (a_ref, b_ref) DO UPDATE SET confidence = excluded.confidence, reasons = excluded.reasons
			WHERE status = 'open'`, pair[0], pair[1], sg.Confidence, string(rj), formatTime(created)); err != nil {
			return fmt.Errorf("store suggestion %s-%s: %w", pair[0], pair[1], err)
		}
		keep[pair] = true
	}
	for pair, r := range existing {
		if r.status == crm.SuggestionOpen && !keep[pair] && (scope == nil || scope[pair[0]] || scope[pair[1]]) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM suggestions WHERE id = ?`, r.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetOverride sets the member's display name and/or primary identity, as
// a person chose them; "" and the zero ref leave that part unchanged. The
// primary must be an identity of the member (else crm.ErrConflict). Both
// survive syncs, resolver assignments and merges (while the identity stays
// in the member).
func (s *Store) SetOverride(ctx context.Context, memberID int64, name string, primary connectors.AccountRef, actor string) error {
	err := s.override(ctx, memberID, actor, func(tx *sql.Tx) (map[string]any, error) {
		detail := map[string]any{}
		if name != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE members SET name_override = ? WHERE id = ?`, name, memberID); err != nil {
				return nil, err
			}
			detail["name"] = name
		}
		if !primary.IsZero() {
			ident, err := identityByRef(ctx, tx, primary)
			if err != nil {
				return nil, err
			}
			if ident.MemberID != memberID {
				return nil, fmt.Errorf("identity %s is not in member %d: %w", primary, memberID, crm.ErrConflict)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE members SET primary_override = ? WHERE id = ?`, ident.ID, memberID); err != nil {
				return nil, err
			}
			detail["primary"] = primary.String()
		}
		return detail, nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: set override of member %d: %w", memberID, err)
	}
	return nil
}

// ClearOverride drops the member's chosen name and primary identity, so
// both are computed again.
func (s *Store) ClearOverride(ctx context.Context, memberID int64, actor string) error {
	err := s.override(ctx, memberID, actor, func(tx *sql.Tx) (map[string]any, error) {
		_, err := tx.ExecContext(ctx, `UPDATE members SET name_override = NULL, primary_override = NULL WHERE id = ?`, memberID)
		return map[string]any{"cleared": true}, err
	})
	if err != nil {
		return fmt.Errorf("sqlite: clear override of member %d: %w", memberID, err)
	}
	return nil
}

func (s *Store) override(ctx context.Context, memberID int64, actor string, change func(*sql.Tx) (map[string]any, error)) error {
	return s.changeMember(ctx, memberID, actor, "override", func(tx *sql.Tx) (map[string]any, error) {
		detail, err := change(tx)
		if err != nil {
			return nil, err
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return nil, err
		}
		return detail, recomputeMember(ctx, tx, memberID)
	})
}

// changeMember runs change on an existing member (crm.ErrNotFound
// otherwise) and audits it as action with the detail change returns, in
// one transaction.
func (s *Store) changeMember(ctx context.Context, memberID int64, actor, action string, change func(*sql.Tx) (map[string]any, error)) error {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := memberExists(ctx, tx, memberID); err != nil {
		return err
	}
	detail, err := change(tx)
	if err != nil {
		return err
	}
	if err := audit(ctx, tx, now, actor, action, memberID, 0, detail); err != nil {
		return err
	}
	return tx.Commit()
}

// IdentitiesVersion changes whenever an identity is added or changed,
// evidence is added, or a decision is recorded: the resolver skips its work
// while it stays the same.
func (s *Store) IdentitiesVersion(ctx context.Context) (string, error) {
	var n, maxID, ev int64
	var maxUpdated sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0), max(updated_at) FROM identities`).Scan(&n, &maxID, &maxUpdated)
	if err != nil {
		return "", fmt.Errorf("sqlite: read identities version: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM evidence`).Scan(&ev); err != nil {
		return "", fmt.Errorf("sqlite: read identities version: %w", err)
	}
	dv, err := s.DecisionsVersion(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d/%d/%s/%d/%d", n, maxID, maxUpdated.String, ev, dv), nil
}

// scopeKeys lists the account keys of scope and of the suggestions ss.
func scopeKeys(scope map[string]bool, ss []crm.Suggestion) []string {
	out := make([]string, 0, len(scope)+2*len(ss))
	for k := range scope {
		out = append(out, k)
	}
	for _, sg := range ss {
		out = append(out, sg.A.String(), sg.B.String())
	}
	return out
}
