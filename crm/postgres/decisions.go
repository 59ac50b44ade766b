package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// AllIdentities calls fn for every identity, assigned or not, in id order,
// streaming rows. An error from fn stops the walk and is returned as is.
func (s *Store) AllIdentities(ctx context.Context, fn func(crm.Identity) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+identityCols+` FROM identities ORDER BY id`)
	if err != nil {
		return fmt.Errorf("postgres: read all identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return fmt.Errorf("postgres: read all identities: %w", err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: read all identities: %w", err)
	}
	return nil
}

// AllEvidence calls fn for every stored evidence pair, in insertion order,
// streaming rows. An error from fn stops the walk and is returned as is.
func (s *Store) AllEvidence(ctx context.Context, fn func(kind string, a, b connectors.AccountRef) error) error {
	rows, err := s.pool.Query(ctx, `SELECT kind, a_ref, b_ref FROM evidence ORDER BY id`)
	if err != nil {
		return fmt.Errorf("postgres: read all evidence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, a, b string
		if err := rows.Scan(&kind, &a, &b); err != nil {
			return fmt.Errorf("postgres: read all evidence: %w", err)
		}
		ra, err := crm.ParseAccountKey(a)
		if err != nil {
			return fmt.Errorf("postgres: read all evidence: %w", err)
		}
		rb, err := crm.ParseAccountKey(b)
		if err != nil {
			return fmt.Errorf("postgres: read all evidence: %w", err)
		}
		if err := fn(kind, ra, rb); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: read all evidence: %w", err)
	}
	return nil
}

// Decisions lists every recorded decision, oldest first. Later decisions
// about the same pair win over earlier ones.
func (s *Store) Decisions(ctx context.Context) ([]crm.Decision, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, kind, a_ref, b_ref, actor, reason, at FROM decisions ORDER BY at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read decisions: %w", err)
	}
	defer rows.Close()
	var out []crm.Decision
	for rows.Next() {
		var d crm.Decision
		var a, b, at string
		if err := rows.Scan(&d.ID, &d.Kind, &a, &b, &d.Actor, &d.Reason, &at); err != nil {
			return nil, fmt.Errorf("postgres: read decisions: %w", err)
		}
		if d.A, err = crm.ParseAccountKey(a); err == nil {
			if d.B, err = crm.ParseAccountKey(b); err == nil {
				d.At, err = parseTime(at)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("postgres: read decision %d: %w", d.ID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read decisions: %w", err)
	}
	return out, nil
}

// DecisionsVersion returns a counter that every Merge, Unmerge,
// DecideSuggestion, Forget, SetOverride, ClearOverride and AddDecision
// increases.
func (s *Store) DecisionsVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT CAST(value AS BIGINT) FROM settings WHERE key = $1`, settingVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: read decisions version: %w", err)
	}
	return v, nil
}

// insertDecision records d (its ID and At are ignored) and returns its id.
func insertDecision(ctx context.Context, tx pgx.Tx, now time.Time, d crm.Decision) (int64, error) {
	if d.Kind != crm.DecisionMerge && d.Kind != crm.DecisionSeparate {
		return 0, fmt.Errorf("decision kind %q: want %q or %q", d.Kind, crm.DecisionMerge, crm.DecisionSeparate)
	}
	if d.A.IsZero() || d.B.IsZero() || d.A == d.B {
		return 0, fmt.Errorf("decision %s %s-%s: needs two different accounts", d.Kind, d.A, d.B)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO decisions (kind, a_ref, b_ref, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		d.Kind, d.A.String(), d.B.String(), d.Actor, d.Reason, formatTime(now)).Scan(&id); err != nil {
		return 0, fmt.Errorf("record decision: %w", err)
	}
	return id, nil
}

// AddDecision records a decision by itself (no membership changes; the
// resolver applies it on its next run), audits it and bumps the version.
// It returns the decision's id.
func (s *Store) AddDecision(ctx context.Context, d crm.Decision) (int64, error) {
	var id int64
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		var err error
		id, err = addDecision(ctx, tx, s.now(), d)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: add decision: %w", err)
	}
	return id, nil
}

func addDecision(ctx context.Context, tx pgx.Tx, now time.Time, d crm.Decision) (int64, error) {
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
	rows, err := q.Query(ctx, `SELECT kind, a_ref, b_ref FROM decisions
		WHERE (a_ref = ANY($1::text[]) AND b_ref = ANY($2::text[]))
		   OR (a_ref = ANY($2::text[]) AND b_ref = ANY($1::text[]))
		ORDER BY at, id`, xs, ys)
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
		if b < a {
			a, b = b, a
		}
		out[[2]string{a, b}] = kind
	}
	return out, rows.Err()
}

// MergeMembers records the resolver's merges in one transaction, as
// crm/sqlite's MergeMembers does: every identity of From moves into Into,
// From disappears, an audit_log row keeps reason and evidence; a merge
// contradicting people's latest DecisionSeparate is skipped with a
// "merge_refused" audit row. Into == From is a no-op; an unknown member
// fails with crm.ErrNotFound and nothing is recorded.
func (s *Store) MergeMembers(ctx context.Context, ms []crm.MemberMerge) error {
	if len(ms) == 0 {
		return nil
	}
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		now := s.now()
		for _, m := range ms {
			if err := mergeMembers(ctx, tx, now, m); err != nil {
				return fmt.Errorf("member %d into %d: %w", m.From, m.Into, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: merge %d members: %w", len(ms), err)
	}
	return nil
}

func mergeMembers(ctx context.Context, tx pgx.Tx, now time.Time, m crm.MemberMerge) error {
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
	var id int64
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		var err error
		id, err = mergeRefs(ctx, tx, s.now(), a, b, actor, reason)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: merge %s and %s: %w", a, b, err)
	}
	return id, nil
}

func mergeRefs(ctx context.Context, tx pgx.Tx, now time.Time, a, b connectors.AccountRef, actor, reason string) (int64, error) {
	ia, err := identityByRef(ctx, tx, a, false)
	if err != nil {
		return 0, err
	}
	ib, err := identityByRef(ctx, tx, b, false)
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
		if _, err := tx.Exec(ctx, `UPDATE identities SET member_id = $1 WHERE id IN ($2, $3)`, into, ia.ID, ib.ID); err != nil {
			return 0, err
		}
	case ia.MemberID == 0 || ib.MemberID == 0:
		lone := ia
		into = ib.MemberID
		if ib.MemberID == 0 {
			lone, into = ib, ia.MemberID
		}
		moved = []string{lone.AccountRef.String()}
		if _, err := tx.Exec(ctx, `UPDATE identities SET member_id = $1 WHERE id = $2`, into, lone.ID); err != nil {
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
	var id int64
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		var err error
		id, err = unmerge(ctx, tx, s.now(), memberID, ref, actor, reason)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: unmerge %s from member %d: %w", ref, memberID, err)
	}
	return id, nil
}

func unmerge(ctx context.Context, tx pgx.Tx, now time.Time, memberID int64, ref connectors.AccountRef, actor, reason string) (int64, error) {
	if err := memberExists(ctx, tx, memberID); err != nil {
		return 0, err
	}
	ident, err := identityByRef(ctx, tx, ref, false)
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
	if _, err := tx.Exec(ctx, `UPDATE identities SET member_id = $1 WHERE id = $2`, nm, ident.ID); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE members SET primary_override = NULL WHERE id = $1 AND primary_override = $2`,
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
		return nil, 0, fmt.Errorf("postgres: list suggestions: unknown status %q", status)
	}
	var lim any // NULL: no limit
	if limit >= 0 {
		lim = limit
	}
	var out []crm.Suggestion
	var total int
	err := s.read(ctx, func(tx pgx.Tx) error {
		out = nil
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM suggestions WHERE $1 = '' OR status = $1`, status).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, a_ref, b_ref, confidence, reasons, status, created FROM suggestions
			WHERE $1 = '' OR status = $1 ORDER BY confidence DESC, id LIMIT $2 OFFSET $3`, status, lim, offset)
		if err != nil {
			return err
		}
		for rows.Next() {
			sg, err := scanSuggestion(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, sg)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if out[i].MemberA, err = memberOf(ctx, tx, out[i].A); err == nil {
				out[i].MemberB, err = memberOf(ctx, tx, out[i].B)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list suggestions: %w", err)
	}
	return out, total, nil
}

func scanSuggestion(sc pgx.Row) (crm.Suggestion, error) {
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

// DecideSuggestion accepts (merging its accounts as Merge does) or rejects
// (recording a DecisionSeparate) an open suggestion, in one transaction.
// An unknown suggestion fails with crm.ErrNotFound, one already decided
// with crm.ErrConflict.
func (s *Store) DecideSuggestion(ctx context.Context, id int64, accept bool, actor string) error {
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		return decideSuggestion(ctx, tx, s.now(), id, accept, actor)
	})
	if err != nil {
		return fmt.Errorf("postgres: decide suggestion %d: %w", id, err)
	}
	return nil
}

func decideSuggestion(ctx context.Context, tx pgx.Tx, now time.Time, id int64, accept bool, actor string) error {
	sg, err := scanSuggestion(tx.QueryRow(ctx, `SELECT id, a_ref, b_ref, confidence, reasons, status, created
		FROM suggestions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	_, err = tx.Exec(ctx, `UPDATE suggestions SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4`,
		status, formatTime(now), actor, id)
	return err
}

// ReplaceSuggestions replaces the open suggestions with ss in one
// transaction, as crm/sqlite's does: pairs are normalised (a < b by key),
// a pair still suggested keeps its id and creation time; decided pairs,
// pairs people decided about, pairs within one member, forgotten accounts
// and a ref paired with itself are skipped.
func (s *Store) ReplaceSuggestions(ctx context.Context, ss []crm.Suggestion) error {
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		return s.replaceSuggestions(ctx, tx, s.now(), ss)
	})
	if err != nil {
		return fmt.Errorf("postgres: replace suggestions: %w", err)
	}
	return nil
}

func (s *Store) replaceSuggestions(ctx context.Context, tx pgx.Tx, now time.Time, ss []crm.Suggestion) error {
	return s.replaceSuggestionsIn(ctx, tx, now, ss, nil)
}

// replaceSuggestionsIn is replaceSuggestions that, with scope, deletes
// only the open suggestions with an account of scope (by key) on a side.
func (s *Store) replaceSuggestionsIn(ctx context.Context, tx pgx.Tx, now time.Time, ss []crm.Suggestion, scope map[string]bool) error {
	type row struct {
		id     int64
		status string
	}
	existing := make(map[[2]string]row)
	query, args := `SELECT id, a_ref, b_ref, status FROM suggestions`, []any(nil)
	if scope != nil {
		// Only the suggestions in scope, and those of the pairs in ss.
		query += ` WHERE a_ref = ANY($1::text[]) OR b_ref = ANY($1::text[])`
		args = []any{scopeKeys(scope, ss)}
	}
	rows, err := tx.Query(ctx, query, args...)
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
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM decisions
			WHERE (a_ref = $1 AND b_ref = $2) OR (a_ref = $2 AND b_ref = $1))`, pair[0], pair[1]).Scan(&decided); err != nil {
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
		if _, err := tx.Exec(ctx, `INSERT INTO suggestions (a_ref, b_ref, confidence, reasons, status, created)
			VALUES ($1, $2, $3, $4, 'open', $5)
			ON CONFLICT (a_ref, b_ref) DO UPDATE SET confidence = excluded.confidence, reasons = excluded.reasons
			WHERE suggestions.status = 'open'`, pair[0], pair[1], sg.Confidence, string(rj), formatTime(created)); err != nil {
			return fmt.Errorf("store suggestion %s-%s: %w", pair[0], pair[1], err)
		}
		keep[pair] = true
	}
	for pair, r := range existing {
		if r.status == crm.SuggestionOpen && !keep[pair] && (scope == nil || scope[pair[0]] || scope[pair[1]]) {
			if _, err := tx.Exec(ctx, `DELETE FROM suggestions WHERE id = $1`, r.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetOverride sets the member's display name and/or primary identity, as
// a person chose them; "" and the zero ref leave that part unchanged. The
// primary must be an identity of the member (else crm.ErrConflict). Both
// survive syncs, resolver assignments and merges.
func (s *Store) SetOverride(ctx context.Context, memberID int64, name string, primary connectors.AccountRef, actor string) error {
	err := s.override(ctx, memberID, actor, func(tx pgx.Tx) (map[string]any, error) {
		detail := map[string]any{}
		if name != "" {
			if _, err := tx.Exec(ctx, `UPDATE members SET name_override = $1 WHERE id = $2`, name, memberID); err != nil {
				return nil, err
			}
			detail["name"] = name
		}
		if !primary.IsZero() {
			ident, err := identityByRef(ctx, tx, primary, false)
			if err != nil {
				return nil, err
			}
			if ident.MemberID != memberID {
				return nil, fmt.Errorf("identity %s is not in member %d: %w", primary, memberID, crm.ErrConflict)
			}
			if _, err := tx.Exec(ctx, `UPDATE members SET primary_override = $1 WHERE id = $2`, ident.ID, memberID); err != nil {
				return nil, err
			}
			detail["primary"] = primary.String()
		}
		return detail, nil
	})
	if err != nil {
		return fmt.Errorf("postgres: set override of member %d: %w", memberID, err)
	}
	return nil
}

// ClearOverride drops the member's chosen name and primary identity, so
// both are computed again.
func (s *Store) ClearOverride(ctx context.Context, memberID int64, actor string) error {
	err := s.override(ctx, memberID, actor, func(tx pgx.Tx) (map[string]any, error) {
		_, err := tx.Exec(ctx, `UPDATE members SET name_override = NULL, primary_override = NULL WHERE id = $1`, memberID)
		return map[string]any{"cleared": true}, err
	})
	if err != nil {
		return fmt.Errorf("postgres: clear override of member %d: %w", memberID, err)
	}
	return nil
}

func (s *Store) override(ctx context.Context, memberID int64, actor string, change func(pgx.Tx) (map[string]any, error)) error {
	return s.changeMember(ctx, memberID, actor, "override", func(tx pgx.Tx) (map[string]any, error) {
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
// one transaction holding the resolver lock.
func (s *Store) changeMember(ctx context.Context, memberID int64, actor, action string, change func(pgx.Tx) (map[string]any, error)) error {
	return s.write(ctx, true, func(tx pgx.Tx) error {
		if err := memberExists(ctx, tx, memberID); err != nil {
			return err
		}
		detail, err := change(tx)
		if err != nil {
			return err
		}
		return audit(ctx, tx, s.now(), actor, action, memberID, 0, detail)
	})
}

// IdentitiesVersion changes whenever an identity is added or changed,
// evidence is added, or a decision is recorded: the resolver skips its work
// while it stays the same.
func (s *Store) IdentitiesVersion(ctx context.Context) (string, error) {
	var out string
	err := s.read(ctx, func(tx pgx.Tx) error {
		var n, maxID, ev, dv int64
		var maxUpdated *string
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(max(id), 0), max(updated_at) FROM identities`).Scan(&n, &maxID, &maxUpdated); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM evidence`).Scan(&ev); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT CAST(value AS BIGINT) FROM settings WHERE key = $1`, settingVersion).Scan(&dv); err != nil {
			return err
		}
		mu := ""
		if maxUpdated != nil {
			mu = *maxUpdated
		}
		out = fmt.Sprintf("%d/%d/%s/%d/%d", n, maxID, mu, ev, dv)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("postgres: read identities version: %w", err)
	}
	return out, nil
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
