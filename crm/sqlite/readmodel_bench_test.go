package sqlite

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/benchkit"
)

// The read model benchmark (issue 10, point 6): a store of 1,000,000
// activities and 100,000 members, one of whom has 10,000 activities on
// three platforms, read while a goroutine applies batches through
// Store.Apply as a syncing daemon does. Run it with
//
//	go test -run '^$' -bench ReadModel -benchtime 200x ./crm/sqlite
//
// The store is built once (about a minute) and cached as
// $TMPDIR/rollcall-bench-readmodel-v6.db; each run reads a copy of it.
// p50 and p95 latencies are reported per operation (ms-p50, ms-p95).

// ROLLCALL_BENCH_SCALE=10 makes the store ten times larger (10,000,000
// activities, 1,000,000 members; cached as ...-v6-x10.db, about 4 GB):
// docs/scaling.md's second size.
const benchStarActs = 10_000

var (
	benchScale      = benchScaleFromEnv()
	benchMembers    = 100_000 * benchScale
	benchExtraIDs   = 20_000 * benchScale // members with a second identity
	benchActivities = 1_000_000 * benchScale
	benchCacheName  = benchCacheFile(benchScale)
)

func benchScaleFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv("ROLLCALL_BENCH_SCALE")); err == nil && n > 1 {
		return n
	}
	return 1
}

func benchCacheFile(scale int) string {
	if scale == 1 {
		return "rollcall-bench-readmodel-v6.db"
	}
	return fmt.Sprintf("rollcall-bench-readmodel-v6-x%d.db", scale)
}

// benchRef is the account of bulk identity id.
func benchRef(id int) connectors.AccountRef { return benchkit.Ref(id) }

func starRef(p int) connectors.AccountRef { return benchkit.StarRef(p) }

// benchStore returns a copy of the cached benchmark store, building the
// cache first when missing, and the star member's id.
func benchStore(b *testing.B) (*Store, int64) {
	b.Helper()
	cache := filepath.Join(os.TempDir(), benchCacheName)
	if _, err := os.Stat(cache); err != nil {
		start := time.Now()
		tmp := cache + ".building"
		os.Remove(tmp)
		if err := buildBenchStore(b.Context(), tmp); err != nil {
			b.Fatalf("build benchmark store: %v", err)
		}
		if err := os.Rename(tmp, cache); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s in %v", cache, time.Since(start).Round(time.Second))
	}
	path := filepath.Join(b.TempDir(), "bench.db")
	if err := copyFile(cache, path); err != nil {
		b.Fatal(err)
	}
	opened := time.Now()
	s, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("opened a copy of %s in %v (pending migrations applied)", cache, time.Since(opened).Round(time.Millisecond))
	b.Cleanup(func() { s.Close() })
	star, err := benchkit.Star(b.Context(), s)
	if err != nil {
		b.Fatal(err)
	}
	return s, star
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// buildBenchStore writes the benchmark store at path: bulk rows through
// the real schema with SQL (members, identities, activities, audit rows),
// the kept stats and search index filled as migration 0005 does, and the
// star member through Apply, Assign and MergeMembers.
func buildBenchStore(ctx context.Context, path string) error {
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	const now = "2026-12-01T00:00:00.000000000Z"
	nIDs := benchMembers + benchExtraIDs
	steps := []string{
		`CREATE TEMP TABLE first_names (i INTEGER PRIMARY KEY, v TEXT)`,
		`INSERT INTO first_names (v) VALUES ('Ana'),('Bruno'),('Chen'),('Dana'),('Emeka'),('Fatima'),('Gustavo'),('Hana'),('Ivan'),('Joanna'),
			('Kofi'),('Lena'),('Mateo'),('Nadia'),('Oscar'),('Priya'),('Quentin'),('Rosa'),('Sven'),('Tariq'),
			('Uma'),('Victor'),('Wen'),('Ximena'),('Yusuf'),('Zoe'),('Aiko'),('Björn'),('Carmen'),('Dmitri'),
			('Elif'),('Farid'),('Greta'),('Hugo'),('Ines'),('Jonas'),('Kira'),('Luca'),('Mira'),('Noah')`,
		`CREATE TEMP TABLE last_names (i INTEGER PRIMARY KEY, v TEXT)`,
		`INSERT INTO last_names (v) VALUES ('Silva'),('Müller'),('Wang'),('Okafor'),('Kowalski'),('Haddad'),('Pereira'),('Tanaka'),('Ivanova'),('Smith'),
			('Mensah'),('Larsen'),('Rossi'),('Novak'),('Garcia'),('Sharma'),('Dubois'),('Fernandez'),('Berg'),('Aziz'),
			('Kim'),('Moreau'),('Li'),('Lopez'),('Yilmaz'),('Nguyen'),('Sato'),('Andersson'),('Ruiz'),('Petrov'),
			('Demir'),('Karimi'),('Fischer'),('Laurent'),('Costa'),('Weber'),('Ito'),('Bianchi'),('Cohen'),('Walsh')`,
		fmt.Sprintf(`INSERT INTO members (id, name, created_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			SELECT i, (SELECT v FROM first_names WHERE i = 1 + n.i %% 40) || ' ' || (SELECT v FROM last_names WHERE i = 1 + (n.i / 40) %% 40), '%s' FROM n`,
			benchMembers, now),
		// Identity i belongs to member i; identities past the members
		// are second accounts of members spread over the range.
		fmt.Sprintf(`INSERT INTO identities (id, member_id, platform, instance, external_id, username, name, url, emails, first_seen_at, updated_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d),
			p(k, platform, instance) AS (VALUES (0, 'github', 'github.com'), (1, 'mastodon', 'social.example'), (2, 'discourse', 'forum.example'), (3, 'stackoverflow', 'stackoverflow.com'))
			SELECT n.i, m.id, p.platform, p.instance, 'b' || n.i,
				lower(substr(m.name, 1, instr(m.name, ' ') - 1)) || '_' || lower(substr(m.name, instr(m.name, ' ') + 1, 3)) || n.i,
				m.name, 'https://' || p.instance || '/u/' || n.i,
				'["' || lower(substr(m.name, 1, instr(m.name, ' ') - 1)) || n.i || '@mail' || (n.i %% 97) || '.example"]',
				strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000000Z', 1600000000 + n.i * %d, 'unixepoch'), '%s'
			FROM n JOIN p ON p.k = n.i %% 4
			JOIN members m ON m.id = CASE WHEN n.i <= %d THEN n.i ELSE 1 + (n.i * 7919) %% %d END`,
			nIDs, 900/benchScale, now, benchMembers, benchMembers),
		`UPDATE members SET primary_identity_id = id`,
		`INSERT INTO audit_log (at, actor, action, member_id, identity_id, detail)
			SELECT first_seen_at, 'resolver', 'assign', member_id, id,
				json_object('reason', 'new account', 'account', platform || '/' || instance || '/' || external_id, 'new_member', json('true'))
			FROM identities ORDER BY id`,
		`INSERT INTO identity_joins (identity_id, member_id, audit_id) SELECT identity_id, member_id, id FROM audit_log ORDER BY id`,
	}
	for _, q := range steps {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.80s: %w", q, err)
		}
	}
	// Activities in chunks; identities drawn with a skew towards low ids
	// (a few very active people, a long tail).
	bulk := benchActivities - benchStarActs
	const chunk = 100_000
	for lo := 0; lo < bulk; lo += chunk {
		hi := min(lo+chunk, bulk)
		// Drawn once into a table: random() in a CTE may be evaluated
		// again wherever the planner uses it.
		gen := fmt.Sprintf(`CREATE TEMP TABLE gen AS
			WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			SELECT i, abs(random()) %% %d AS x, abs(random()) AS t FROM n`, lo+1, hi, nIDs)
		if _, err := s.w.ExecContext(ctx, gen); err != nil {
			return fmt.Errorf("draw activities %d-%d: %w", lo, hi, err)
		}
		// Replies (issue comments, Discourse posts, answers, comments)
		// name a thread of their platform a little earlier in the
		// sequence as parent (a key that exists for about a quarter of
		// them); posts carry reaction counts and a sentiment score.
		q := fmt.Sprintf(`INSERT INTO activities (key, platform, instance, type, occurred_at, identity_id, url, title, channel, parent_key, source, ingested_at,
				reactions_total, sentiment)
			WITH types(platform, k, type, thread) AS (VALUES ('github', 0, 'issue_comment', 'pr_opened'), ('github', 1, 'pr_opened', ''), ('github', 2, 'star', ''), ('github', 3, 'pr_merged', ''),
				('mastodon', 0, 'post', ''), ('mastodon', 1, 'boost', ''), ('mastodon', 2, 'favourite', ''), ('mastodon', 3, 'mention', ''),
				('discourse', 0, 'post_created', 'topic_created'), ('discourse', 1, 'topic_created', ''), ('discourse', 2, 'like', ''), ('discourse', 3, 'post_created', 'topic_created'),
				('stackoverflow', 0, 'answer', 'question'), ('stackoverflow', 1, 'question', ''), ('stackoverflow', 2, 'comment', 'question'), ('stackoverflow', 3, 'answer', 'question'))
			SELECT i.platform || '/' || i.instance || '/' || ty.type || '/' || g.i, i.platform, i.instance, ty.type,
				strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000000Z', 1640000000 + g.t %% 94608000, 'unixepoch'),
				i.id, 'https://' || i.instance || '/a/' || g.i, 'activity ' || g.i, 'ch' || (g.t %% 50),
				CASE WHEN ty.thread = '' THEN '' ELSE i.platform || '/' || i.instance || '/' || ty.thread || '/' || max(1, g.i - 1 - g.t %% 400) END,
				'bulk', '%s',
				CASE WHEN ty.type IN ('star', 'boost', 'favourite', 'like', 'pr_merged') THEN NULL ELSE g.t %% 7 END,
				CASE WHEN ty.type IN ('issue_comment', 'pr_opened', 'post', 'mention', 'post_created', 'topic_created', 'answer', 'question', 'comment')
					THEN ((g.t / 13) %% 201 - 100) / 100.0 END
			FROM temp.gen g JOIN identities i ON i.id = 1 + (g.x * g.x) / %d JOIN types ty ON ty.platform = i.platform AND ty.k = (g.t / 7) %% 4`,
			now, nIDs)
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("insert activities %d-%d: %w", lo, hi, err)
		}
		if _, err := s.w.ExecContext(ctx, `DROP TABLE temp.gen`); err != nil {
			return err
		}
	}
	// The kept stats and the search index, as migration 0005 fills them.
	for _, q := range []string{
		`UPDATE identities SET (activity_count, first_activity_at, last_activity_at) =
			(SELECT COUNT(*), MIN(a.occurred_at), MAX(a.occurred_at) FROM activities a WHERE a.identity_id = identities.id)`,
		`UPDATE members SET (identity_count, activity_count, first_seen, last_seen) =
			(SELECT COUNT(*), COALESCE(SUM(i.activity_count), 0),
				COALESCE(MIN(i.first_activity_at), MIN(i.first_seen_at), ''),
				COALESCE(MAX(i.last_activity_at), MAX(i.first_seen_at), '')
			FROM identities i WHERE i.member_id = members.id)`,
		`INSERT INTO member_search (rowid, text) SELECT m.id, ` + searchText + ` FROM members m WHERE m.identity_count > 0`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.80s: %w", q, err)
		}
	}
	// The scoring tallies and interactions, as Open builds them for a
	// store from before migration 0009.
	if _, err := s.w.ExecContext(ctx, `DELETE FROM score_meta`); err != nil {
		return err
	}
	if err := s.rebuildScores(ctx, DefaultDecay, true); err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	if err := buildStar(ctx, s); err != nil {
		return fmt.Errorf("star member: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// buildStar stores the member with 10,000 activities through the Store:
// a GitHub, a Stack Overflow and a Discourse account, merged on evidence.
// Their replies answer their own activities for the first 3,000, then
// others' too; some of their answers and posts get accepted by others.
func buildStar(ctx context.Context, s *Store) error {
	rng := rand.New(rand.NewPCG(1, 2))
	gh, so, ds := starRef(0), starRef(3), starRef(2)
	b := connectors.Batch{Accounts: []connectors.Account{
		{AccountRef: gh, Username: "stella", Name: "Stella Star", URL: "https://github.com/stella"},
		{AccountRef: so, Username: "stella.s", Name: "Stella Star"},
		{AccountRef: ds, Username: "stella", Name: "Stella"},
	}}
	base := time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)
	var own []string
	otherKey := func() string {
		// An activity of someone else: bulk keys are platform/instance/type/n.
		n := 1 + rng.IntN(900_000)
		var key string
		_ = s.r.QueryRowContext(ctx, `SELECT key FROM activities WHERE rowid = ?`, n).Scan(&key)
		return key
	}
	for i := 0; i < benchStarActs; i++ {
		at := base.Add(time.Duration(i) * 2 * time.Hour).Add(time.Duration(rng.IntN(3600)) * time.Second)
		var a connectors.Activity
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			types := []string{"issue_comment", "pr_opened", "pr_review", "commit", "issue_opened", "pr_merged"}
			a = connectors.Activity{Platform: gh.Platform, Instance: gh.Instance, Type: types[i%6], Actor: gh}
		case 6, 7, 8:
			types := []string{"answer", "comment", "question"}
			a = connectors.Activity{Platform: so.Platform, Instance: so.Instance, Type: types[i%3], Actor: so}
		default:
			a = connectors.Activity{Platform: ds.Platform, Instance: ds.Instance, Type: "post_created", Actor: ds}
		}
		if i < 200 && a.Type == "pr_merged" {
			a.Type = "pr_opened" // the first merge comes later
		}
		a.Key = fmt.Sprintf("%s/%s/%s/star%d", a.Platform, a.Instance, a.Type, i)
		a.OccurredAt, a.URL, a.Title, a.Channel = at, "https://"+a.Instance+"/star/"+fmt.Sprint(i), "Stella's activity "+fmt.Sprint(i), "ch"
		if a.Type == "issue_comment" || a.Type == "comment" || a.Type == "answer" {
			if i < 3000 && len(own) > 0 {
				a.ParentKey = own[rng.IntN(len(own))]
			} else if i >= 3000 {
				a.ParentKey = otherKey()
			}
		}
		own = append(own, a.Key)
		b.Activities = append(b.Activities, a)
		if i > 5000 && (a.Type == "answer" || a.Type == "post_created") && rng.IntN(20) == 0 {
			typ, p := "answer_accepted", 3
			if a.Type == "post_created" {
				typ, p = "solution_accepted", 2
			}
			actor := benchRef(4*(1+rng.IntN(20_000)) + p)
			b.Activities = append(b.Activities, connectors.Activity{
				Key: fmt.Sprintf("%s/%s/%s/acc%d", actor.Platform, actor.Instance, typ, i), Platform: actor.Platform, Instance: actor.Instance,
				Type: typ, OccurredAt: at.Add(time.Hour), Actor: actor, ParentKey: a.Key,
			})
		}
		if len(b.Activities) >= 1000 || i == benchStarActs-1 {
			if _, err := s.Apply(ctx, "star", b); err != nil {
				return err
			}
			b = connectors.Batch{}
		}
	}
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		return err
	}
	var as []crm.Assignment
	for _, id := range un {
		as = append(as, crm.Assignment{IdentityID: id.ID, Reason: "new account"})
	}
	if err := s.Assign(ctx, as); err != nil {
		return err
	}
	var mids []int64
	for _, r := range []connectors.AccountRef{gh, so, ds} {
		id, err := s.IdentityByRef(ctx, r)
		if err != nil {
			return err
		}
		mids = append(mids, id.MemberID)
	}
	return s.MergeMembers(ctx, []crm.MemberMerge{
		{Into: mids[0], From: mids[1], Reason: "resolver: strong evidence", Evidence: []string{"the Stack Overflow profile links to github.com/stella and back"}},
		{Into: mids[0], From: mids[2], Reason: "resolver: strong evidence", Evidence: []string{"Discourse verified the GitHub account"}},
	})
}

// measure runs op in b.Loop while batches are applied through Apply, as
// a syncing daemon does (benchkit.Measure), and reports p50 and p95.
func measure(b *testing.B, s benchkit.Applier, op func(ctx context.Context) error) {
	benchkit.Measure(b, s, benchMembers+benchExtraIDs, op)
}

func BenchmarkReadModel(b *testing.B) {
	s, star := benchStore(b)
	ctx := b.Context()
	// A cursor 50,000 members deep in the default sort.
	var deep listCursor
	deep.Sort = crm.SortMostActive
	if err := s.r.QueryRowContext(ctx, `SELECT activity_count, id FROM members WHERE identity_count > 0
		ORDER BY activity_count DESC, id LIMIT 1 OFFSET 50000`).Scan(&deep.Key, &deep.ID); err != nil {
		b.Fatal(err)
	}
	deepCursor := crm.EncodeCursor(deep)
	var cursorNewest string
	list := func(q crm.MemberQuery) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			p, err := s.ListMembers(ctx, q)
			if err == nil && len(p.Members) == 0 && q.Search == "" && q.ActivityType == "" && q.ActiveSince.IsZero() {
				err = fmt.Errorf("ListMembers(%+v): no members", q)
			}
			return err
		}
	}
	p, err := s.ListMembers(ctx, crm.MemberQuery{Sort: crm.SortNewest})
	if err != nil {
		b.Fatal(err)
	}
	cursorNewest = p.NextCursor
	// A timeline cursor 5,000 activities deep.
	var tc timelineCursor
	if err := s.r.QueryRowContext(ctx, `SELECT a.occurred_at, a.key FROM activities a JOIN identities i ON i.id = a.identity_id
		WHERE i.member_id = ? ORDER BY a.occurred_at DESC, a.key DESC LIMIT 1 OFFSET 5000`, star).Scan(&tc.At, &tc.Key); err != nil {
		b.Fatal(err)
	}
	deepTimeline := crm.EncodeCursor(tc)
	for _, bm := range []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"search/common_name_ana", list(crm.MemberQuery{Search: "ana"})},
		{"search/surname_novak", list(crm.MemberQuery{Search: "novak"})},
		{"search/username_fragment", list(crm.MemberQuery{Search: "_sil4242"})},
		{"search/email_domain", list(crm.MemberQuery{Search: "@mail42.example"})},
		{"search/short_an_prefix", list(crm.MemberQuery{Search: "an"})},
		{"list/active_first_page", list(crm.MemberQuery{})},
		{"list/active_deep_page", list(crm.MemberQuery{Cursor: deepCursor})},
		{"list/newest_second_page", list(crm.MemberQuery{Sort: crm.SortNewest, Cursor: cursorNewest})},
		{"list/last_seen_github", list(crm.MemberQuery{Sort: crm.SortLastSeen, Platform: "github"})},
		{"filter/common_type_issue_comment", list(crm.MemberQuery{ActivityType: "issue_comment"})},
		{"filter/rare_type_answer_accepted", list(crm.MemberQuery{ActivityType: "answer_accepted"})},
		{"filter/absent_type", list(crm.MemberQuery{ActivityType: "release"})},
		{"filter/active_since_a_year", list(crm.MemberQuery{ActiveSince: time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)})},
		{"filter/active_since_an_hour", list(crm.MemberQuery{ActiveSince: time.Now().Add(-time.Hour)})},
		{"filter/search_and_platform", list(crm.MemberQuery{Search: "silva", Platform: "mastodon", Sort: crm.SortNewest})},
		{"journey/star_10000", func(ctx context.Context) error {
			jp, err := crm.ReadJourneyPage(ctx, s, crm.TimelineQuery{MemberID: star, Limit: 50}, crm.BucketWeek)
			if err == nil && (len(jp.Timeline.Activities) != 50 || len(jp.Milestones) < 5 || len(jp.Chart) == 0) {
				err = fmt.Errorf("journey page of the star: %d activities, %d milestones, %d chart points",
					len(jp.Timeline.Activities), len(jp.Milestones), len(jp.Chart))
			}
			return err
		}},
		{"journey/star_chart_week", func(ctx context.Context) error {
			_, err := s.ActivityChart(ctx, star, crm.BucketWeek)
			return err
		}},
		{"journey/star_chart_month", func(ctx context.Context) error {
			_, err := s.ActivityChart(ctx, star, crm.BucketMonth)
			return err
		}},
		{"journey/star_timeline_first_page", func(ctx context.Context) error {
			_, err := s.Timeline(ctx, crm.TimelineQuery{MemberID: star, Limit: 50})
			return err
		}},
		{"journey/star_timeline_deep_page", func(ctx context.Context) error {
			_, err := s.Timeline(ctx, crm.TimelineQuery{MemberID: star, Limit: 50, Cursor: deepTimeline})
			return err
		}},
		{"journey/star_milestones", func(ctx context.Context) error {
			_, err := s.Milestones(ctx, star)
			return err
		}},
		{"journey/star_join_reasons", func(ctx context.Context) error {
			_, err := s.JoinReasons(ctx, star)
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) { measure(b, s, bm.op) })
	}
}
