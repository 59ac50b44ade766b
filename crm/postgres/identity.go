package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// identityCols are the columns scanIdentity reads, in order.
const identityCols = `id, member_id, platform, instance, external_id, username, name, url,
	avatar_url, emails, links, followers, bot, profile_fetched_at, verified_links, network_id, staff, reputation`

func scanIdentity(sc pgx.Row) (crm.Identity, error) {
	var (
		id                      crm.Identity
		member                  *int64
		emails, links, verified string
		fetched                 *string
		bot, staff              int64
		followers, reputation   int64
	)
	err := sc.Scan(&id.ID, &member, &id.Platform, &id.Instance, &id.ExternalID, &id.Username,
		&id.Name, &id.URL, &id.AvatarURL, &emails, &links, &followers, &bot, &fetched, &verified, &id.NetworkID, &staff, &reputation)
	if err != nil {
		return crm.Identity{}, err
	}
	if member != nil {
		id.MemberID = *member
	}
	id.Followers = int(followers)
	id.Reputation = int(reputation)
	id.Bot = bot != 0
	id.Staff = staff != 0
	if id.Emails, err = crm.DecodeSet(emails); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d emails: %w", id.ID, err)
	}
	if id.Links, err = crm.DecodeSet(links); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d links: %w", id.ID, err)
	}
	if id.VerifiedLinks, err = crm.DecodeSet(verified); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d verified links: %w", id.ID, err)
	}
	if id.ProfileFetchedAt, err = parseNullTime(fetched); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d: %w", id.ID, err)
	}
	return id, nil
}

// scanIdentities reads every row of rows as an identity.
func scanIdentities(rows pgx.Rows, err error) ([]crm.Identity, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crm.Identity
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// identityByRef loads one identity (locking its row with forUpdate in a
// transaction); it wraps crm.ErrNotFound when missing.
func identityByRef(ctx context.Context, q querier, ref connectors.AccountRef, forUpdate bool) (crm.Identity, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	id, err := scanIdentity(q.QueryRow(ctx, `SELECT `+identityCols+` FROM identities
		WHERE platform = $1 AND instance = $2 AND external_id = $3`+lock, ref.Platform, ref.Instance, ref.ExternalID))
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.Identity{}, fmt.Errorf("identity %s: %w", ref, crm.ErrNotFound)
	}
	return id, err
}

// identityByID loads one identity; it wraps crm.ErrNotFound when missing.
func identityByID(ctx context.Context, q querier, id int64) (crm.Identity, error) {
	ident, err := scanIdentity(q.QueryRow(ctx, `SELECT `+identityCols+` FROM identities WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.Identity{}, fmt.Errorf("identity %d: %w", id, crm.ErrNotFound)
	}
	return ident, err
}

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
		return fmt.Errorf("postgres: create tombstone salt: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		settingSalt, hex.EncodeToString(b[:])); err != nil {
		return fmt.Errorf("postgres: store tombstone salt in %s: %w", s.where, err)
	}
	var v string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, settingSalt).Scan(&v); err != nil {
		return fmt.Errorf("postgres: read tombstone salt of %s: %w", s.where, err)
	}
	salt, err := hex.DecodeString(v)
	if err != nil || len(salt) == 0 {
		return fmt.Errorf("postgres: tombstone salt of %s is malformed", s.where)
	}
	s.salt = salt
	return nil
}

// tombHash is hex(sha256(salt || account key)), as crm/sqlite computes it.
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

// has reports whether ref's account was forgotten.
func (t *tombs) has(ctx context.Context, ref connectors.AccountRef) (bool, error) {
	if !t.checked {
		if err := t.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tombstones)`).Scan(&t.any); err != nil {
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
	if err := t.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tombstones WHERE hash = $1)`,
		t.s.tombHash(ref)).Scan(&v); err != nil {
		return false, fmt.Errorf("read tombstones: %w", err)
	}
	t.memo[ref] = v
	return v, nil
}

// bumpVersion changes decisions_version.
func bumpVersion(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE settings SET value = (CAST(value AS BIGINT) + 1)::text WHERE key = $1`, settingVersion); err != nil {
		return fmt.Errorf("bump decisions version: %w", err)
	}
	return nil
}

// audit writes one audit_log row; member and identity 0 are stored as NULL.
func audit(ctx context.Context, tx pgx.Tx, now time.Time, actor, action string, member, identity int64, detail any) error {
	_, err := auditID(ctx, tx, now, actor, action, member, identity, detail)
	return err
}

// auditID writes one audit_log row as audit does and returns its id.
func auditID(ctx context.Context, tx pgx.Tx, now time.Time, actor, action string, member, identity int64, detail any) (int64, error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO audit_log (at, actor, action, member_id, identity_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, formatTime(now), actor, action, nullID(member), nullID(identity), string(b)).Scan(&id); err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	return id, nil
}

// recordJoins notes that the identities (by account key) entered member,
// for the reason audit row auditID gives (see JoinReasons).
func recordJoins(ctx context.Context, tx pgx.Tx, member, auditID int64, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO identity_joins (identity_id, member_id, audit_id)
		SELECT id, $1, $2 FROM identities WHERE member_id = $1
			AND platform || '/' || instance || '/' || external_id = ANY($3::text[])
		ORDER BY id`, member, auditID, keys); err != nil {
		return fmt.Errorf("record joins into member %d: %w", member, err)
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// memberExists fails with crm.ErrNotFound when there is no such member row.
func memberExists(ctx context.Context, q querier, id int64) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM members WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("member %d: %w", id, crm.ErrNotFound)
	}
	return err
}

// memberIdentities loads the member's identities in id order.
func memberIdentities(ctx context.Context, q querier, member int64) ([]crm.Identity, error) {
	out, err := scanIdentities(q.Query(ctx, `SELECT `+identityCols+` FROM identities WHERE member_id = $1 ORDER BY id`, member))
	if err != nil {
		return nil, fmt.Errorf("identities of member %d: %w", member, err)
	}
	return out, nil
}

func identityIDs(ids []crm.Identity) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.ID)
	}
	return out
}

// newMember creates an empty member; recomputeMember names it.
func newMember(ctx context.Context, tx pgx.Tx, now time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO members (name, created_at) VALUES ('', $1) RETURNING id`, formatTime(now)).Scan(&id); err != nil {
		return 0, fmt.Errorf("create member: %w", err)
	}
	return id, nil
}

// absorb moves every identity of member from into member into, keeps
// from's overrides and mark where into has none, and deletes from.
func absorb(ctx context.Context, tx pgx.Tx, into, from int64) error {
	if _, err := tx.Exec(ctx, `UPDATE identities SET member_id = $1 WHERE member_id = $2`, into, from); err != nil {
		return fmt.Errorf("move identities of member %d to %d: %w", from, into, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE members m SET
		name_override = COALESCE(NULLIF(m.name_override, ''), f.name_override),
		primary_override = COALESCE(m.primary_override, f.primary_override),
		role_mark = COALESCE(m.role_mark, f.role_mark)
		FROM members f WHERE f.id = $1 AND m.id = $2`, from, into); err != nil {
		return fmt.Errorf("keep overrides of member %d: %w", from, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM members WHERE id = $1`, from); err != nil {
		return fmt.Errorf("delete member %d: %w", from, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM member_search WHERE member_id = $1`, from); err != nil {
		return fmt.Errorf("drop member %d from the search index: %w", from, err)
	}
	return nil
}

// recomputeMember sets the member's stats from its identities' kept stats,
// its primary identity, display name and search text. The primary is the
// primary_override while that identity is in the member, else the
// identity with the most complete profile (name, url, avatar, each link, a
// fetched profile count one each), then the most activity, then the lowest
// id. The name is the name_override, else the primary's name, else its
// username. The search text is the name and each identity's username,
// name and e-mail addresses, one a line.
func recomputeMember(ctx context.Context, tx pgx.Tx, member int64) error {
	var nameOv *string
	var primOv *int64
	err := tx.QueryRow(ctx, `SELECT name_override, primary_override FROM members WHERE id = $1`, member).Scan(&nameOv, &primOv)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE members SET (identity_count, activity_count, first_seen, last_seen) =
		(SELECT COUNT(*), COALESCE(SUM(i.activity_count), 0),
			COALESCE(MIN(i.first_activity_at), MIN(i.first_seen_at), ''),
			COALESCE(MAX(i.last_activity_at), MAX(i.first_seen_at), '')
		FROM identities i WHERE i.member_id = $1)
		WHERE id = $1`, member); err != nil {
		return fmt.Errorf("member stats: %w", err)
	}
	type cand struct {
		id                     int64
		name, username, emails string
		score, activity        int64
	}
	rows, err := tx.Query(ctx, `SELECT id, name, username, url, avatar_url, links, profile_fetched_at IS NOT NULL, activity_count, emails
		FROM identities WHERE member_id = $1 ORDER BY id`, member)
	if err != nil {
		return err
	}
	var cs []cand
	for rows.Next() {
		var c cand
		var url, avatar, links string
		var fetched bool
		if err := rows.Scan(&c.id, &c.name, &c.username, &url, &avatar, &links, &fetched, &c.activity, &c.emails); err != nil {
			rows.Close()
			return err
		}
		ls, err := crm.DecodeSet(links)
		if err != nil {
			rows.Close()
			return fmt.Errorf("identity %d links: %w", c.id, err)
		}
		c.score = int64(len(ls))
		for _, ok := range []bool{c.name != "", url != "", avatar != "", fetched} {
			if ok {
				c.score++
			}
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(cs) > 0 {
		best := -1
		if primOv != nil {
			for i, c := range cs {
				if c.id == *primOv {
					best = i
				}
			}
		}
		if best < 0 {
			best = 0
			for i, c := range cs[1:] {
				b := cs[best]
				if c.score > b.score || (c.score == b.score && c.activity > b.activity) {
					best = i + 1
				}
			}
		}
		p := cs[best]
		name := p.name
		if name == "" {
			name = p.username
		}
		if nameOv != nil && *nameOv != "" {
			name = *nameOv
		}
		if _, err := tx.Exec(ctx, `UPDATE members SET name = $1, primary_identity_id = $2 WHERE id = $3`, name, p.id, member); err != nil {
			return err
		}
		var text strings.Builder
		text.WriteString(name)
		for _, c := range cs {
			text.WriteString("\n" + c.username + "\n" + c.name)
			es, err := crm.DecodeSet(c.emails)
			if err != nil {
				return fmt.Errorf("identity %d emails: %w", c.id, err)
			}
			for _, e := range es {
				text.WriteString("\n" + e)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO member_search (member_id, text) VALUES ($1, $2)
			ON CONFLICT (member_id) DO UPDATE SET text = excluded.text WHERE member_search.text <> excluded.text`,
			member, text.String()); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM member_search WHERE member_id = $1`, member); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}
