package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// The resolver's state between runs, in settings (migration 0006).
const (
	settingResolverRules    = "resolver_rules"
	settingResolverDecision = "resolver_decision"
)

// markDirty marks an identity for the resolver, in the transaction that
// adds or changes it.
func markDirty(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO identity_dirty (identity_id) VALUES ($1)
		ON CONFLICT (identity_id) DO UPDATE SET gen = identity_dirty.gen + 1`, id)
	if err != nil {
		return fmt.Errorf("mark identity %d for the resolver: %w", id, err)
	}
	return nil
}

// ResolverState returns the rules version and the last decision the
// resolver recorded.
func (s *Store) ResolverState(ctx context.Context) (crm.ResolverState, error) {
	var st crm.ResolverState
	var dec string
	err := s.pool.QueryRow(ctx, `SELECT
		coalesce((SELECT value FROM settings WHERE key = $1), ''),
		coalesce((SELECT value FROM settings WHERE key = $2), '0')`, settingResolverRules, settingResolverDecision).Scan(&st.Rules, &dec)
	if err != nil {
		return st, fmt.Errorf("postgres: read resolver state: %w", err)
	}
	if st.Decision, err = strconv.ParseInt(dec, 10, 64); err != nil {
		return st, fmt.Errorf("postgres: read resolver state: decision %q: %w", dec, err)
	}
	return st, nil
}

// DirtyIdentities lists the identities marked for the resolver, in id
// order, at most limit (<= 0: all).
func (s *Store) DirtyIdentities(ctx context.Context, limit int) ([]crm.DirtyIdentity, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT d.gen, i.id, i.member_id, i.platform, i.instance, i.external_id, i.username, i.name, i.url,
		i.avatar_url, i.emails, i.links, i.followers, i.bot, i.profile_fetched_at, i.verified_links, i.network_id, i.staff, i.reputation
		FROM identity_dirty d JOIN identities i ON i.id = d.identity_id ORDER BY d.identity_id LIMIT $1`, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: list dirty identities: %w", err)
	}
	defer rows.Close()
	var out []crm.DirtyIdentity
	for rows.Next() {
		var d crm.DirtyIdentity
		id, err := scanIdentity(genRow{rows, &d.Gen})
		if err != nil {
			return nil, fmt.Errorf("postgres: list dirty identities: %w", err)
		}
		d.Identity = id
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list dirty identities: %w", err)
	}
	return out, nil
}

// genRow scans a leading gen column, then the identity's columns.
type genRow struct {
	rows pgx.Rows
	gen  *int64
}

func (g genRow) Scan(dest ...any) error { return g.rows.Scan(append([]any{g.gen}, dest...)...) }

// SaveKeys replaces the blocking keys of the identities in ks, clears
// their dirty marks of the Gen given (a newer mark stays), and stores st
// when it is not nil, in one transaction. An identity gone meanwhile
// (forgotten) is skipped.
func (s *Store) SaveKeys(ctx context.Context, ks []crm.IdentityKeys, st *crm.ResolverState) error {
	err := s.write(ctx, false, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, k := range ks {
			b.Queue(`DELETE FROM identity_keys WHERE identity_id = $1`, k.IdentityID)
			b.Queue(`INSERT INTO identity_keys (hash, identity_id)
				SELECT DISTINCT h, $1::bigint FROM unnest($2::bigint[]) AS h WHERE EXISTS (SELECT 1 FROM identities WHERE id = $1)
				ON CONFLICT DO NOTHING`, k.IdentityID, k.Keys)
			if k.Gen != 0 {
				b.Queue(`DELETE FROM identity_dirty WHERE identity_id = $1 AND gen = $2`, k.IdentityID, k.Gen)
			}
		}
		if st != nil {
			for key, v := range map[string]string{settingResolverRules: st.Rules, settingResolverDecision: strconv.FormatInt(st.Decision, 10)} {
				b.Queue(`INSERT INTO settings (key, value) VALUES ($1, $2)
					ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, v)
			}
		}
		return sendBatch(ctx, tx, &b, nil)
	})
	if err != nil {
		return fmt.Errorf("postgres: save blocking keys of %d identities: %w", len(ks), err)
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
	rows, err := s.pool.Query(ctx, `SELECT hash, count(*) FROM identity_keys WHERE hash = ANY($1::bigint[]) GROUP BY hash`, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: count identities by key: %w", err)
	}
	var take []int64
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("postgres: count identities by key: %w", err)
		}
		counts[h] = int(n)
		if int(n) <= limit {
			take = append(take, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("postgres: count identities by key: %w", err)
	}
	if len(take) == 0 {
		return nil, counts, nil
	}
	ids, err := s.identitiesKnown(ctx, `SELECT DISTINCT identity_id FROM identity_keys WHERE hash = ANY($1::bigint[]) ORDER BY identity_id`, take, known)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: read identities by key: %w", err)
	}
	return ids, counts, nil
}

// IdentitiesOfMembers returns every identity of the members, in id order;
// those known reports are not read again (see IdentitiesByKeys).
func (s *Store) IdentitiesOfMembers(ctx context.Context, members []int64, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, error) {
	if len(members) == 0 {
		return nil, nil
	}
	ids, err := s.identitiesKnown(ctx, `SELECT id FROM identities WHERE member_id = ANY($1::bigint[]) ORDER BY id`, members, known)
	if err != nil {
		return nil, fmt.Errorf("postgres: read identities of %d members: %w", len(members), err)
	}
	return ids, nil
}

// identitiesKnown returns the identities whose ids idQuery (ordered by
// id) selects: those known reports as it reports them, the others read,
// all in one snapshot, in id order.
func (s *Store) identitiesKnown(ctx context.Context, idQuery string, arg any, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, idQuery, arg)
	if err != nil {
		return nil, err
	}
	ids, err := crm.ScanIDs(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	return crm.KnownOrRead(ids, known, func(r []int64) ([]crm.Identity, error) {
		return identitiesWhere(ctx, tx, `id = ANY($1::bigint[])`, len(r), r)
	})
}

// identitiesWhere reads the identities where holds, in id order; n is how
// many there will be, to size the slice (0: unknown).
func identitiesWhere(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, where string, n int, args ...any) ([]crm.Identity, error) {
	rows, err := q.Query(ctx, `SELECT `+identityCols+` FROM identities WHERE `+where+` ORDER BY id`, args...)
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
	rows, err := s.pool.Query(ctx, `SELECT kind, a_ref, b_ref FROM evidence WHERE a_ref = ANY($1::text[])
		UNION SELECT kind, a_ref, b_ref FROM evidence WHERE b_ref = ANY($1::text[])`, keys)
	if err != nil {
		return fmt.Errorf("postgres: evidence of %d accounts: %w", len(refs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, a, b string
		if err := rows.Scan(&kind, &a, &b); err != nil {
			return fmt.Errorf("postgres: evidence of %d accounts: %w", len(refs), err)
		}
		ra, err := crm.ParseAccountKey(a)
		if err != nil {
			return fmt.Errorf("postgres: evidence of %d accounts: %w", len(refs), err)
		}
		rb, err := crm.ParseAccountKey(b)
		if err != nil {
			return fmt.Errorf("postgres: evidence of %d accounts: %w", len(refs), err)
		}
		if err := fn(kind, ra, rb); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: evidence of %d accounts: %w", len(refs), err)
	}
	return nil
}

// ReplaceSuggestionsOf replaces the open suggestions involving one of
// refs with ss, in one transaction, filtered as ReplaceSuggestions
// filters; other open suggestions stay.
func (s *Store) ReplaceSuggestionsOf(ctx context.Context, refs []connectors.AccountRef, ss []crm.Suggestion) error {
	scope := make(map[string]bool, len(refs))
	for _, r := range refs {
		scope[r.String()] = true
	}
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		return s.replaceSuggestionsIn(ctx, tx, s.now(), ss, scope)
	})
	if err != nil {
		return fmt.Errorf("postgres: replace suggestions: %w", err)
	}
	return nil
}
