package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// The resolver's state between runs, in settings (migration 0015).
const (
	settingResolverRules    = "resolver_rules"
	settingResolverDecision = "resolver_decision"
)

const markDirtySQL = `INSERT INTO identity_dirty (identity_id) VALUES (?)
	ON CONFLICT (identity_id) DO UPDATE SET gen = gen + 1`

// markDirty marks an identity for the resolver, in the transaction that
// adds or changes it.
func markDirty(ctx context.Context, tx querier, id int64) error {
	_, err := tx.ExecContext(ctx, markDirtySQL, id)
	if err != nil {
		return fmt.Errorf("mark identity %d for the resolver: %w", id, err)
	}
	return nil
}

// jsonInts encodes a list of integers as one JSON array parameter, read in
// SQL with json_each: one statement, whatever the length.
func jsonInts(l []int64) string {
	b := make([]byte, 0, 2+len(l)*12)
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return string(append(b, ']'))
}

// ResolverState returns the rules version and the last decision the
// resolver recorded.
func (s *Store) ResolverState(ctx context.Context) (crm.ResolverState, error) {
	var st crm.ResolverState
	var dec string
	err := s.r.QueryRowContext(ctx, `SELECT
		coalesce((SELECT value FROM settings WHERE key = ?), ''),
		coalesce((SELECT value FROM settings WHERE key = ?), '0')`, settingResolverRules, settingResolverDecision).Scan(&st.Rules, &dec)
	if err != nil {
		return st, fmt.Errorf("sqlite: read resolver state: %w", err)
	}
	if st.Decision, err = strconv.ParseInt(dec, 10, 64); err != nil {
		return st, fmt.Errorf("sqlite: read resolver state: decision %q: %w", dec, err)
	}
	return st, nil
}

// DirtyIdentities lists the identities marked for the resolver, in id
// order, at most limit (<= 0: all).
func (s *Store) DirtyIdentities(ctx context.Context, limit int) ([]crm.DirtyIdentity, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT d.gen, `+prefixed("i.", identityCols)+`
		FROM identity_dirty d JOIN identities i ON i.id = d.identity_id ORDER BY d.identity_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list dirty identities: %w", err)
	}
	defer rows.Close()
	var out []crm.DirtyIdentity
	for rows.Next() {
		var d crm.DirtyIdentity
		id, err := scanIdentity(prefixScanner{rows, &d.Gen})
		if err != nil {
			return nil, fmt.Errorf("sqlite: list dirty identities: %w", err)
		}
		d.Identity = id
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list dirty identities: %w", err)
	}
	return out, nil
}

// SaveKeys replaces the blocking keys of the identities in ks, clears
// their dirty marks of the Gen given (a newer mark stays), and stores st
// when it is not nil, in one transaction. An identity gone meanwhile
// (forgotten) is skipped.
func (s *Store) SaveKeys(ctx context.Context, ks []crm.IdentityKeys, st *crm.ResolverState) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save blocking keys: %w", err)
	}
	defer tx.Rollback()
	del, err := tx.PrepareContext(ctx, `DELETE FROM identity_keys WHERE identity_id = ?`)
	if err != nil {
		return fmt.Errorf("sqlite: save blocking keys: %w", err)
	}
	defer del.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO identity_keys (hash, identity_id)
		SELECT value, ? FROM json_each(?) WHERE EXISTS (SELECT 1 FROM identities WHERE id = ?)
		ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("sqlite: save blocking keys: %w", err)
	}
	defer ins.Close()
	clear, err := tx.PrepareContext(ctx, `DELETE FROM identity_dirty WHERE identity_id = ? AND gen = ?`)
	if err != nil {
		return fmt.Errorf("sqlite: save blocking keys: %w", err)
	}
	defer clear.Close()
	for _, k := range ks {
		if _, err := del.ExecContext(ctx, k.IdentityID); err != nil {
			return fmt.Errorf("sqlite: save blocking keys of identity %d: %w", k.IdentityID, err)
		}
		if _, err := ins.ExecContext(ctx, k.IdentityID, jsonInts(k.Keys), k.IdentityID); err != nil {
			return fmt.Errorf("sqlite: save blocking keys of identity %d: %w", k.IdentityID, err)
		}
		if k.Gen != 0 {
			if _, err := clear.ExecContext(ctx, k.IdentityID, k.Gen); err != nil {
				return fmt.Errorf("sqlite: clear dirty mark of identity %d: %w", k.IdentityID, err)
			}
		}
	}
	if st != nil {
		for key, v := range map[string]string{settingResolverRules: st.Rules, settingResolverDecision: strconv.FormatInt(st.Decision, 10)} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, v); err != nil {
				return fmt.Errorf("sqlite: store resolver state: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: save blocking keys: commit: %w", err)
	}
	return nil
}

// IdentitiesByKeys returns how many identities each key has (keys with
// none left out) and, in id order, the identities of the keys with at
// most limit of them; an identity known reports (known may be nil) is
// returned as it reports it, its row not read again.
func (s *Store) IdentitiesByKeys(ctx context.Context, keys []int64, limit int, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, map[int64]int, error) {
	counts := map[int64]int{}
	if len(keys) == 0 {
		return nil, counts, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT k.hash, count(*) FROM identity_keys k
		WHERE k.hash IN (SELECT value FROM json_each(?)) GROUP BY k.hash`, jsonInts(keys))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: count identities by key: %w", err)
	}
	var take []int64
	for rows.Next() {
		var h int64
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("sqlite: count identities by key: %w", err)
		}
		counts[h] = n
		if n <= limit {
			take = append(take, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: count identities by key: %w", err)
	}
	if len(take) == 0 {
		return nil, counts, nil
	}
	ids, err := s.identitiesKnown(ctx, `SELECT DISTINCT identity_id FROM identity_keys WHERE hash IN (SELECT value FROM json_each(?)) ORDER BY identity_id`, jsonInts(take), known)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: read identities by key: %w", err)
	}
	return ids, counts, nil
}

// IdentitiesOfMembers returns every identity of the members, in id order;
// those known reports are not read again (see IdentitiesByKeys).
func (s *Store) IdentitiesOfMembers(ctx context.Context, members []int64, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, error) {
	if len(members) == 0 {
		return nil, nil
	}
	ids, err := s.identitiesKnown(ctx, `SELECT id FROM identities WHERE member_id IN (SELECT value FROM json_each(?)) ORDER BY id`, jsonInts(members), known)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read identities of %d members: %w", len(members), err)
	}
	return ids, nil
}

// identitiesKnown returns the identities whose ids idQuery (ordered by
// id) selects: those known reports as it reports them, the others read,
// all in one read transaction, in id order.
func (s *Store) identitiesKnown(ctx context.Context, idQuery string, arg any, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, idQuery, arg)
	if err != nil {
		return nil, err
	}
	ids, err := crm.ScanIDs(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	return crm.KnownOrRead(ids, known, func(r []int64) ([]crm.Identity, error) {
		return identitiesWhere(ctx, tx, `id IN (SELECT value FROM json_each(?))`, len(r), jsonInts(r))
	})
}

// identitiesWhere reads the identities where holds, in id order; n is how
// many there will be, to size the slice (0: unknown).
func identitiesWhere(ctx context.Context, q querier, where string, n int, args ...any) ([]crm.Identity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+identityCols+` FROM identities WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]crm.Identity, 0, n)
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// EvidenceAmong calls fn for every stored evidence pair with an account
// of refs on either side.
func (s *Store) EvidenceAmong(ctx context.Context, refs []connectors.AccountRef, fn func(kind string, a, b connectors.AccountRef) error) error {
	if len(refs) == 0 {
		return nil
	}
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = r.String()
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("sqlite: evidence of %d accounts: %w", len(refs), err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT kind, a_ref, b_ref FROM evidence WHERE a_ref IN (SELECT value FROM json_each(?1))
		UNION SELECT kind, a_ref, b_ref FROM evidence WHERE b_ref IN (SELECT value FROM json_each(?1))`, string(list))
	if err != nil {
		return fmt.Errorf("sqlite: evidence of %d accounts: %w", len(refs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, a, b string
		if err := rows.Scan(&kind, &a, &b); err != nil {
			return fmt.Errorf("sqlite: evidence of %d accounts: %w", len(refs), err)
		}
		ra, err := crm.ParseAccountKey(a)
		if err != nil {
			return fmt.Errorf("sqlite: evidence of %d accounts: %w", len(refs), err)
		}
		rb, err := crm.ParseAccountKey(b)
		if err != nil {
			return fmt.Errorf("sqlite: evidence of %d accounts: %w", len(refs), err)
		}
		if err := fn(kind, ra, rb); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: evidence of %d accounts: %w", len(refs), err)
	}
	return nil
}

// ReplaceSuggestionsOf replaces the open suggestions involving one of
// refs with ss, in one transaction, filtered as ReplaceSuggestions
// filters; other open suggestions stay.
func (s *Store) ReplaceSuggestionsOf(ctx context.Context, refs []connectors.AccountRef, ss []crm.Suggestion) error {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: replace suggestions: %w", err)
	}
	defer tx.Rollback()
	scope := make(map[string]bool, len(refs))
	for _, r := range refs {
		scope[r.String()] = true
	}
	if err := s.replaceSuggestionsIn(ctx, tx, now, ss, scope); err != nil {
		return fmt.Errorf("sqlite: replace suggestions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: replace suggestions: commit: %w", err)
	}
	return nil
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, cols string) string {
	out := ""
	for i, c := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += alias + c
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	cur := ""
	for _, r := range cols {
		switch r {
		case ',':
			out = append(out, cur)
			cur = ""
		case ' ', '\n', '\t':
		default:
			cur += string(r)
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// prefixScanner scans one leading column into first, then the rest as a
// scanner of the remaining columns would.
type prefixScanner struct {
	rows  *sql.Rows
	first *int64
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.rows.Scan(append([]any{p.first}, dest...)...)
}
