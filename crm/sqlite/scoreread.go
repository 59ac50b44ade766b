package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

var _ crm.ScoreReader = (*Store)(nil)

// ScoreData reads every member with identities, their identities' tallies
// and the interactions, in one read transaction: three sequential scans,
// no per-member query.
func (s *Store) ScoreData(ctx context.Context) (crm.ScoreData, error) {
	var out crm.ScoreData
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("sqlite: score data: %w", err)
	}
	defer tx.Rollback()
	if out.Members, err = s.scoreMembers(ctx, tx, "", false); err != nil {
		return out, err
	}
	if out.Interactions, err = readInteractions(ctx, tx); err != nil {
		return out, err
	}
	return out, nil
}

// ScoreMembers reads the members ids as ScoreData has them, in id order.
func (s *Store) ScoreMembers(ctx context.Context, ids []int64) ([]crm.ScoreMember, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: score data: %w", err)
	}
	defer tx.Rollback()
	b, _ := json.Marshal(ids)
	return s.scoreMembers(ctx, tx, string(b), false)
}

// LeanPeriod reads, in one read transaction, ScoreData without the
// identities' tallies and channels (the JSON most of ScoreData's time goes
// into decoding) and the interactions (health reads none), and the activities of [since, until) on platform without
// titles and URLs, from the time index alone (their members are those of
// the identities just read, without a lookup per activity).
func (s *Store) LeanPeriod(ctx context.Context, since, until time.Time, platform string) (crm.ScoreData, []crm.PeriodActivity, error) {
	var out crm.ScoreData
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, nil, fmt.Errorf("sqlite: lean score data: %w", err)
	}
	defer tx.Rollback()
	if out.Members, err = s.scoreMembers(ctx, tx, "", true); err != nil {
		return out, nil, err
	}
	acts, err := readPeriod(ctx, tx, leanPeriodQuery, since, until, platform, setMembers(out.Members))
	return out, acts, err
}

var _ crm.RisingWindowReader = (*Store)(nil)

// RisingWindow implements crm.RisingWindowReader: the members of the
// identities of [since, until) (from the index activities_time alone)
// with their tallies, the interactions with the members at their ends
// (lean), and the window, in one read transaction.
func (s *Store) RisingWindow(ctx context.Context, since, until time.Time, fn func(graph crm.ScoreData, active []crm.ScoreMember, wr crm.WindowReader) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: rising data: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT a.identity_id FROM activities a INDEXED BY activities_time
		WHERE a.occurred_at >= ? AND a.occurred_at < ?`, formatTime(since), formatTime(until))
	if err != nil {
		return fmt.Errorf("sqlite: rising data: identities: %w", err)
	}
	idents := make(map[int64]int64)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: rising data: identities: %w", err)
		}
		idents[id] = 0
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: rising data: identities: %w", err)
	}
	graph, active, err := s.risingMembers(ctx, tx, idents)
	if err != nil {
		return err
	}
	return fn(graph, active, &window{tx: tx, memberOf: idents, strs: crm.Interner{}})
}

// risingMembers reads, in tx, the members of the identities of idents
// (setting each one's member, 0 for none), their score data with tallies
// (active), and the graph data (see RisingWindow).
func (s *Store) risingMembers(ctx context.Context, tx *sql.Tx, idents map[int64]int64) (graph crm.ScoreData, active []crm.ScoreMember, err error) {
	// The members of the activities' identities: looked up for a few,
	// from a scan of every identity's member for many.
	most := s.lookupMost
	if most == 0 {
		most = defaultLookupMost
	}
	memberQuery := `SELECT id, member_id FROM identities WHERE member_id IS NOT NULL`
	var args []any
	if len(idents) <= most {
		b, _ := json.Marshal(slices.Collect(maps.Keys(idents)))
		memberQuery += ` AND id IN (SELECT value FROM json_each(?))`
		args = []any{string(b)}
	}
	rows, err := tx.QueryContext(ctx, memberQuery, args...)
	if err != nil {
		return graph, nil, fmt.Errorf("sqlite: rising data: members of identities: %w", err)
	}
	for rows.Next() {
		var id, member int64
		if err := rows.Scan(&id, &member); err != nil {
			rows.Close()
			return graph, nil, fmt.Errorf("sqlite: rising data: members of identities: %w", err)
		}
		if _, ok := idents[id]; ok {
			idents[id] = member
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return graph, nil, fmt.Errorf("sqlite: rising data: members of identities: %w", err)
	}
	seen := make(map[int64]bool)
	ids := []int64{}
	for _, m := range idents {
		if m != 0 && !seen[m] {
			seen[m] = true
			ids = append(ids, m)
		}
	}
	slices.Sort(ids)
	// Their score data: by id for a few, from a scan of every member for
	// many (a lookup per member costs more than the scan then).
	if len(ids) <= most {
		b, _ := json.Marshal(ids)
		if active, err = s.scoreMembers(ctx, tx, string(b), false); err != nil {
			return graph, nil, err
		}
	} else {
		all, err := s.scoreMembers(ctx, tx, "", false)
		if err != nil {
			return graph, nil, err
		}
		for _, m := range all {
			if seen[m.ID] {
				active = append(active, m)
			}
		}
	}
	if graph.Interactions, err = readInteractions(ctx, tx); err != nil {
		return graph, nil, err
	}
	var ends string // the members' ids, a JSON array
	if err := tx.QueryRowContext(ctx, `SELECT json_group_array(member_id) FROM (SELECT DISTINCT i.member_id FROM identities i
			WHERE i.member_id IS NOT NULL AND (i.id IN (SELECT from_identity FROM interactions) OR i.id IN (SELECT to_identity FROM interactions)))`).Scan(&ends); err != nil {
		return graph, nil, fmt.Errorf("sqlite: rising data: members of interactions: %w", err)
	}
	if graph.Members, err = s.scoreMembers(ctx, tx, ends, true); err != nil {
		return graph, nil, err
	}
	return graph, active, nil
}

// defaultLookupMost is how many members or identities RisingWindow looks up
// by id before it scans them all instead: past it, a lookup per member
// costs more than the scan.
const defaultLookupMost = 20_000

// readInteractions reads every interaction edge.
func readInteractions(ctx context.Context, tx *sql.Tx) ([]crm.Interaction, error) {
	// Counted first: a slice of that size, not doublings (see readPeriod).
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM interactions`).Scan(&n); err != nil {
		return nil, fmt.Errorf("sqlite: score data: count interactions: %w", err)
	}
	out := make([]crm.Interaction, 0, n)
	rows, err := tx.QueryContext(ctx, `SELECT from_identity, to_identity, n, last_at FROM interactions ORDER BY from_identity, to_identity`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: score data: interactions: %w", err)
	}
	for rows.Next() {
		var e crm.Interaction
		var at string
		if err := rows.Scan(&e.From, &e.To, &e.N, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: score data: interactions: %w", err)
		}
		if e.LastAt, err = parseTime(at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: score data: interaction time %q: %w", at, err)
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: score data: interactions: %w", err)
	}
	return out, nil
}

// scoreMembers reads members with identities, and their identities'
// tallies: all of them, or those whose ids are the JSON array idsJSON.
// lean leaves the tallies and channels out (nil).
func (s *Store) scoreMembers(ctx context.Context, tx *sql.Tx, idsJSON string, lean bool) ([]crm.ScoreMember, error) {
	var out struct{ Members []crm.ScoreMember }
	// Every identity: a scan in id order (each member's identities come
	// in id order, as ordered by member), no sort.
	filter, ifilter, order := "", "", ` ORDER BY i.id`
	var args []any
	if idsJSON != "" {
		order = ` ORDER BY i.member_id, i.id`
		filter, ifilter = ` AND id IN (SELECT value FROM json_each(?))`, ` AND i.member_id IN (SELECT value FROM json_each(?))`
		args = []any{idsJSON}
	}
	name := "name" // the lean read leaves names out
	if lean {
		name = "''"
	}
	index := make(map[int64]int)
	marks := make(map[int64]string)
	rows, err := tx.QueryContext(ctx, `SELECT id, `+name+`, first_seen, ifnull(role_mark, '') FROM members WHERE identity_count > 0`+filter+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: score data: members: %w", err)
	}
	for rows.Next() {
		var m crm.ScoreMember
		var first, mark string
		if err := rows.Scan(&m.ID, &m.Name, &first, &mark); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: score data: members: %w", err)
		}
		if first != "" {
			if m.FirstSeen, err = parseTime(first); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: score data: member %d first seen: %w", m.ID, err)
			}
		}
		if mark != "" {
			marks[m.ID] = mark
		}
		index[m.ID] = len(out.Members)
		out.Members = append(out.Members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: score data: members: %w", err)
	}

	// Flags for the roles, gathered per member as the identities stream by.
	type roleFlags struct{ staff, bot bool }
	flags := make([][]roleFlags, len(out.Members)) // by member index, as its identities

	// The identities' platforms, tally types and channels, one copy each.
	strs := crm.Interner{}
	rows, err = tx.QueryContext(ctx, `SELECT i.id, i.member_id, i.platform, i.username, i.followers, i.reputation,
			i.staff, i.bot, ifnull(i.first_activity_at, ''),
			`+talliesCols(lean)+`, ifnull(s.weeks, 0), ifnull(s.weeks_at, 0),
			ifnull(s.months, 0), ifnull(s.months_at, 0)
		FROM identities i LEFT JOIN identity_scores s ON s.identity_id = i.id
		WHERE i.member_id IS NOT NULL`+ifilter+order, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: score data: identities: %w", err)
	}
	for rows.Next() {
		var id crm.ScoreIdentity
		var member int64
		var staff, bot bool
		var first, tallies, channels string
		if err := rows.Scan(&id.ID, &member, &id.Platform, &id.Username, &id.Followers, &id.Reputation,
			&staff, &bot, &first, &tallies, &channels,
			(*int64Mask)(&id.Weeks.Mask), &id.Weeks.At, (*int64Mask)(&id.Months.Mask), &id.Months.At); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: score data: identities: %w", err)
		}
		i, ok := index[member]
		if !ok {
			continue
		}
		id.Platform = strs.Intern(id.Platform)
		if first != "" {
			if id.FirstActivity, err = parseTime(first); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: score data: identity %d: %w", id.ID, err)
			}
		}
		if !lean {
			if id.Tallies, err = crm.DecodeTalliesWith(tallies, strs); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: score data: identity %d tallies: %w", id.ID, err)
			}
			if id.Channels, err = crm.DecodeChannelsWith(channels, strs); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: score data: identity %d channels: %w", id.ID, err)
			}
		}
		out.Members[i].Identities = append(out.Members[i].Identities, id)
		flags[i] = append(flags[i], roleFlags{staff, bot})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: score data: identities: %w", err)
	}
	team := s.teamList()
	var ids []crm.Identity
	for i := range out.Members {
		m := &out.Members[i]
		ids = ids[:0]
		for j, id := range m.Identities {
			ids = append(ids, crm.Identity{Account: connectors.Account{
				AccountRef: connectors.AccountRef{Platform: id.Platform}, Username: id.Username, Staff: flags[i][j].staff, Bot: flags[i][j].bot}})
		}
		m.Role = crm.Role(crm.Member{ID: m.ID, Mark: marks[m.ID], Identities: ids}, team)
	}

	return out.Members, nil
}

// PeriodActivities returns the activities of [since, until) on platform
// ("" for all) with the member of their identity (0 when unassigned).
func (s *Store) PeriodActivities(ctx context.Context, since, until time.Time, platform string) ([]crm.PeriodActivity, error) {
	return s.periodActivities(ctx, since, until, platform, `a.title, a.url`)
}

// ActivityHeads returns the title and URL of each of the activities keys
// that is stored.
func (s *Store) ActivityHeads(ctx context.Context, keys []string) (map[string][2]string, error) {
	b, _ := json.Marshal(keys)
	rows, err := s.r.QueryContext(ctx, `SELECT key, title, url FROM activities WHERE key IN (SELECT value FROM json_each(?))`, string(b))
	if err != nil {
		return nil, fmt.Errorf("sqlite: activity titles: %w", err)
	}
	defer rows.Close()
	out := make(map[string][2]string, len(keys))
	for rows.Next() {
		var k, title, url string
		if err := rows.Scan(&k, &title, &url); err != nil {
			return nil, fmt.Errorf("sqlite: activity titles: %w", err)
		}
		out[k] = [2]string{title, url}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: activity titles: %w", err)
	}
	return out, nil
}

// periodActivities reads the activities of a period, with head as the
// title and URL columns.
func (s *Store) periodActivities(ctx context.Context, since, until time.Time, platform, head string) ([]crm.PeriodActivity, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
	}
	defer tx.Rollback()
	return readPeriod(ctx, tx, periodQuery(head), since, until, platform, nil)
}

// setMembers is readPeriod's fill for leanPeriodQuery: each activity's
// member is that of its identity among members (0: none).
func setMembers(members []crm.ScoreMember) func(a *crm.PeriodActivity) {
	memberOf := storekit.MemberOf(crm.ScoreData{Members: members})
	return func(a *crm.PeriodActivity) { a.MemberID = memberOf[a.IdentityID] }
}

// periodCountQuery counts the rows periodQuery and leanPeriodQuery give,
// from the index activities_time alone.
const periodCountQuery = `SELECT count(*) FROM activities a
	WHERE a.occurred_at >= ? AND a.occurred_at < ? AND (? = '' OR a.platform = ?)`

// readPeriod reads, in tx, the rows of query (periodQuery or
// leanPeriodQuery; these give 0 as the member: fill, when not nil, sets
// it) for [since, until) on platform.
//
// A long period holds hundreds of thousands of activities, and these
// slices are what the health pages and the level evaluation hold while
// they compute (issue 15, point 6: the daemon's memory under load). So the
// rows are counted first and scanned into a slice of that size (no
// doublings, each leaving a copy for the collector), the platforms, types
// and channels are interned, and the reaction totals and sentiment scores
// the activities point to are allocated in blocks, not one by one.
func readPeriod(ctx context.Context, tx *sql.Tx, query string, since, until time.Time, platform string, fill func(a *crm.PeriodActivity)) ([]crm.PeriodActivity, error) {
	from, to := formatTime(since), formatTime(until)
	var n int
	if err := tx.QueryRowContext(ctx, periodCountQuery, from, to, platform, platform).Scan(&n); err != nil {
		return nil, fmt.Errorf("sqlite: count the activities of a period: %w", err)
	}
	rows, err := tx.QueryContext(ctx, query, from, to, platform, platform)
	if err != nil {
		return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
	}
	defer rows.Close()
	out := make([]crm.PeriodActivity, 0, n)
	var (
		strs      = crm.Interner{}
		ints      []int
		floats    []float64
		at        string
		reactions sql.NullInt64
		sentiment sql.NullFloat64
	)
	const block = 1024
	for rows.Next() {
		out = append(out, crm.PeriodActivity{})
		a := &out[len(out)-1]
		if err := rows.Scan(&a.Key, &a.Platform, &a.Type, &a.Channel, &a.Title, &a.URL, &a.ParentKey,
			&at, &a.IdentityID, &a.MemberID, &reactions, &sentiment); err != nil {
			return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
		}
		a.Platform, a.Type, a.Channel = strs.Intern(a.Platform), strs.Intern(a.Type), strs.Intern(a.Channel)
		var err error
		if a.OccurredAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: activity %s time: %w", a.Key, err)
		}
		if reactions.Valid {
			if len(ints) == cap(ints) {
				ints = make([]int, 0, block)
			}
			ints = append(ints, int(reactions.Int64))
			a.Reactions = &ints[len(ints)-1]
		}
		if sentiment.Valid {
			if len(floats) == cap(floats) {
				floats = make([]float64, 0, block)
			}
			floats = append(floats, sentiment.Float64)
			a.Sentiment = &floats[len(floats)-1]
		}
		if fill != nil {
			fill(a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
	}
	return out, nil
}

// periodQuery reads the activities of a period (since, until, platform
// twice), with head as the title and URL columns.
func periodQuery(head string) string {
	return `SELECT a.key, a.platform, a.type, a.channel, ` + head + `, a.parent_key,
			a.occurred_at, a.identity_id, ifnull(i.member_id, 0), a.reactions_total, a.sentiment
		FROM activities a JOIN identities i ON i.id = a.identity_id
		WHERE a.occurred_at >= ? AND a.occurred_at < ? AND (? = '' OR a.platform = ?)`
}

// leanPeriodQuery is periodQuery without titles, URLs and members (0),
// answered from the index activities_time alone.
const leanPeriodQuery = `SELECT a.key, a.platform, a.type, a.channel, '', '', a.parent_key,
		a.occurred_at, a.identity_id, 0, a.reactions_total, a.sentiment
	FROM activities a
	WHERE a.occurred_at >= ? AND a.occurred_at < ? AND (? = '' OR a.platform = ?)`

// talliesCols are the tallies and channels columns of scoreMembers'
// identities query: empty values when lean.
func talliesCols(lean bool) string {
	if lean {
		return `'', ''`
	}
	return `ifnull(s.tallies, '{}'), ifnull(s.channels, '[]')`
}
