package community

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// Kind is the role a person plays in the community; it drives how much and
// what they do.
type Kind string

// Kinds of people.
const (
	// KindRegular is a long-term contributor with lots of activity.
	KindRegular Kind = "regular"
	// KindNewcomer joined in the last two months and did little so far.
	KindNewcomer Kind = "newcomer"
	// KindDriveBy did one or two things once.
	KindDriveBy Kind = "drive-by"
	// KindStaff is a maintainer employed by the org: releases, reviews.
	KindStaff Kind = "staff"
	// KindBot is an automation account (type "Bot", login ending in "[bot]").
	KindBot Kind = "bot"
)

// Platforms used in Account.
const (
	PlatformGitHub = "github"
	// PlatformGit is a commit author e-mail that GitHub does not link to an
	// account; Username is the e-mail address.
	PlatformGit = "git"
)

// Account is one account of a person on one platform.
type Account struct {
	// Platform is one of the Platform* constants.
	Platform string
	// Username is the handle as the connector stores it: the GitHub login,
	// the e-mail for PlatformGit, "username@domain" for Mastodon, the
	// Discourse username, the Stack Overflow display name (not unique).
	Username string
}

// Person is one human (or bot) behind one or more accounts.
type Person struct {
	// ID is stable for a given seed and size: "p0001", "p0002", ...
	ID   string
	Name string
	Kind Kind
	// Accounts lists the person's accounts, GitHub first for those who
	// have one; every account belongs to exactly one person.
	Accounts []Account
}

// Fork is a fork of a repository.
type Fork struct {
	// Owner is the login of the user who forked.
	Owner string
	At    time.Time
}

// RepoData is one repository of the org with everything that happened in it.
// Issues are in number order (Number is index+1); items that refer to an
// issue or pull request use its Number, and review comments refer to their
// review's ID.
type RepoData struct {
	Repo           githubtest.Repo
	Issues         []githubtest.Issue
	Comments       []githubtest.Comment
	ReviewComments []githubtest.ReviewComment
	Reviews        []githubtest.Review
	Stars          []githubtest.Star
	Forks          []Fork
	Releases       []githubtest.Release
	Commits        []githubtest.Commit
}

// Community is a generated community. Treat it as read-only.
type Community struct {
	Seed int64
	Size int
	Now  time.Time
	// Org is the GitHub organization owning the repositories.
	Org string
	// People are the persons, by ID: exactly Size of them, including the
	// service accounts (the community's Mastodon account, Discourse's
	// system and discobot, a Mastodon bot) and people who are not on
	// GitHub at all.
	People []Person
	// Users are all GitHub accounts (the org first), in creation order.
	Users []githubtest.User
	// Repos are the org's repositories.
	Repos []RepoData
	// Mastodon, Discourse and StackOverflow are the community on the other
	// platforms.
	Mastodon      MastodonData
	Discourse     DiscourseData
	StackOverflow StackOverflowData
	// Impostors are the accounts that claim someone else's GitHub account.
	Impostors []Impostor
	// LookAlikes are pairs of person IDs of different people with the same
	// or confusable names, on GitHub or across platforms.
	LookAlikes [][2]string

	ext map[Account]string // external ids, see ExternalID
}

// Span is how far back activity goes before now.
const Span = 548 * 24 * time.Hour

type member struct {
	person  int
	kind    Kind
	login   string   // primary GitHub login ("" for git-only and off-GitHub people)
	alt     string   // second GitHub login, rarely
	emails  []string // linked commit e-mails (primary login)
	work    string   // unlinked work e-mail, if any
	joined  time.Time
	display string

	// Cross-platform state (see social.go).
	first, last string // ASCII name parts, for handles on other platforms
	user        int    // index of the GitHub user in Community.Users, -1 for none
	gitOnly     bool   // only an unlinked commit e-mail
	off         bool   // not on GitHub: only on Mastodon, Discourse or Stack Overflow
	svc         string // service account: svcCommunity, svcSystem, svcDiscobot, svcMastoBot
	role        string // roleLookAlike or roleImpostor for special off-GitHub people
	twin        int    // index into crossLookAlikes of a namesake (roleLookAlike)
	look        int    // 1 + index into lookAlikes (flattened) of a GitHub look-alike
	site        string // personal website URL, "" for none
	location    string
	bio         string
	masto       int // 1 + index into Mastodon.Users, 0 for none
	disc        int // 1 + index into Discourse.Users, 0 for none
	so          int // 1 + index into StackOverflow.Users, 0 for none
}

type gen struct {
	r                 *rand.Rand
	emails            map[string]bool // every e-mail address handed out, lower-cased
	sites             map[string]bool // every personal website handed out
	handles           map[string]bool // "platform/handle" lower-cased, for unique handles
	soUser, soAccount int64           // last Stack Overflow user and account ids
	now               time.Time
	start             time.Time
	c                 *Community
	ms                []*member
	byLog             map[string]*member
	logins            map[string]bool
	nextID            int64
	staff             []*member
	active            []*member // staff and regulars: reviewers, committers
}

// Generate builds a community of about size people (at least 10) with
// activity over the Span before now. The same seed, size and now give a
// deep-equal result.
func Generate(seed int64, size int, now time.Time) *Community {
	size = max(size, 10)
	now = now.UTC().Truncate(time.Second)
	g := &gen{
		r:       rand.New(rand.NewPCG(uint64(seed), uint64(size)^0x9e3779b97f4a7c15)),
		now:     now,
		start:   now.Add(-Span),
		logins:  map[string]bool{},
		byLog:   map[string]*member{},
		emails:  map[string]bool{},
		sites:   map[string]bool{},
		handles: map[string]bool{},
		nextID:  2_000_000,
	}
	g.c = &Community{Seed: seed, Size: size, Now: now, Org: "rollcall-demo"}
	g.org()
	g.people(size)
	g.activity()
	g.ensure()
	for i := range g.c.Repos {
		g.finish(&g.c.Repos[i])
	}
	g.social()
	g.mastodonActivity()
	g.discourseActivity()
	g.stackOverflowActivity()
	g.lookAlikePairs()
	githubReactions(g.c, rand.New(rand.NewPCG(uint64(seed)^0x72656163746e73, uint64(size))))
	peerFavourites(g.c, rand.New(rand.NewPCG(uint64(seed)^0x70656572666176, uint64(size))))
	return g.c
}

// peerFavourites has members favourite each other's statuses (not the
// community account's, whose favourites are Mastodon.Favourites), drawing
// from its own source r so that the rest of the community stays as it
// was.
func peerFavourites(c *Community, r *rand.Rand) {
	md := &c.Mastodon
	if len(md.Accounts) == 0 || len(md.Users) < 3 {
		return
	}
	community := md.Accounts[0]
	var fans []string
	for _, u := range md.Users {
		if a := u.Acct(); a != community && !u.Bot {
			fans = append(fans, a)
		}
	}
	if len(fans) < 2 {
		return
	}
	for _, s := range md.Statuses {
		if s.Account == community {
			continue
		}
		seen := map[string]bool{s.Account: true}
		for r.Float64() < 0.45 {
			f := fans[r.IntN(len(fans))]
			if seen[f] {
				break
			}
			seen[f] = true
			at := s.CreatedAt.Add(time.Duration(1+r.IntN(24*60)) * time.Minute)
			if at.After(c.Now) {
				break
			}
			md.PeerFavourites = append(md.PeerFavourites, MastodonReaction{Account: f, Status: s.N, At: at})
		}
	}
	slices.SortStableFunc(md.PeerFavourites, func(a, b MastodonReaction) int { return a.At.Compare(b.At) })
}

// reactionKinds are GitHub's reaction contents, the common ones repeated
// so that they are drawn more often.
var reactionKinds = []string{"+1", "+1", "+1", "+1", "heart", "heart", "hooray", "rocket", "eyes", "laugh", "-1", "confused"}

// githubReactions gives issues, pull requests and comments reaction
// summaries as GitHub embeds them. It draws from its own source r, so
// adding reactions leaves the rest of the community as it was.
func githubReactions(c *Community, r *rand.Rand) {
	draw := func(mean float64) map[string]int {
		// A geometric count: most items get none, a few get many.
		n := 0
		for r.Float64() < mean/(1+mean) {
			n++
		}
		if n == 0 {
			return nil
		}
		m := make(map[string]int)
		for range n {
			m[reactionKinds[r.IntN(len(reactionKinds))]]++
		}
		return m
	}
	for ri := range c.Repos {
		rd := &c.Repos[ri]
		for i := range rd.Issues {
			rd.Issues[i].Reactions = draw(1.2)
		}
		for i := range rd.Comments {
			rd.Comments[i].Reactions = draw(0.4)
		}
		for i := range rd.ReviewComments {
			rd.ReviewComments[i].Reactions = draw(0.15)
		}
	}
}

func (g *gen) id() int64 { g.nextID += 1 + int64(g.r.IntN(7)); return g.nextID }

// at returns a random time in [a, b), clamped to the window.
func (g *gen) at(a, b time.Time) time.Time {
	a = later(a, g.start)
	if b.After(g.now) {
		b = g.now
	}
	if !b.After(a) {
		return a.Truncate(time.Second)
	}
	return a.Add(time.Duration(g.r.Int64N(int64(b.Sub(a))))).Truncate(time.Second)
}

// after returns t plus an exponential delay with the given mean.
func (g *gen) after(t time.Time, mean time.Duration) time.Time {
	return t.Add(time.Duration(g.r.ExpFloat64() * float64(mean))).Truncate(time.Second)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// poisson draws from a Poisson distribution with mean l.
func (g *gen) poisson(l float64) int {
	if l <= 0 {
		return 0
	}
	if l > 30 {
		return max(0, int(math.Round(l+math.Sqrt(l)*g.r.NormFloat64())))
	}
	L, k, p := math.Exp(-l), 0, 1.0
	for {
		p *= g.r.Float64()
		if p <= L {
			return k
		}
		k++
	}
}

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) org() {
	c := g.c
	c.Users = append(c.Users, githubtest.User{
		ID: 90_000_001, Login: c.Org, Type: githubtest.TypeOrganization, Name: "Rollcall Demo",
		Blog: "https://rollcall.example", CreatedAt: g.start.Add(-90 * 24 * time.Hour),
	})
	names := []string{"core", "cli", "docs", "helm-charts"}
	n := 2
	switch {
	case c.Size >= 500:
		n = 4
	case c.Size >= 50:
		n = 3
	}
	for i, nm := range names[:n] {
		c.Repos = append(c.Repos, RepoData{Repo: githubtest.Repo{
			ID: 70_000_001 + int64(i), Owner: c.Org, Name: nm,
			Description: "Rollcall demo: " + nm,
			CreatedAt:   g.start.Add(-time.Duration(60-10*i) * 24 * time.Hour),
		}})
	}
}

func (g *gen) uniqueLogin(base string) string {
	l := base
	for i := 2; g.logins[strings.ToLower(l)]; i++ {
		l = fmt.Sprintf("%s%d", base, i)
	}
	g.logins[strings.ToLower(l)] = true
	return l
}

func (g *gen) people(size int) {
	bots := []string{"dependabot[bot]", "github-actions[bot]", "renovate[bot]"}
	nb := 1
	if size >= 20 {
		nb = 2
	}
	if size >= 200 {
		nb = 3
	}
	nStaff := max(2, size*3/100)
	nReg := max(2, size*12/100)
	nNew := max(1, size*22/100)
	var kinds []Kind
	for range nb {
		kinds = append(kinds, KindBot)
	}
	for range nStaff {
		kinds = append(kinds, KindStaff)
	}
	for range nReg {
		kinds = append(kinds, KindRegular)
	}
	for range nNew {
		kinds = append(kinds, KindNewcomer)
	}
	for len(kinds) < size {
		kinds = append(kinds, KindDriveBy)
	}
	kinds = kinds[:size]
	// Service accounts on the other platforms take the last places: the
	// community's own Mastodon account, Discourse's system user and, in
	// bigger communities, discobot and a Mastodon bot.
	svcs := []string{svcCommunity, svcSystem}
	if size >= 20 {
		svcs = append(svcs, svcDiscobot, svcMastoBot)
	}
	svcAt := len(kinds) - len(svcs)
	// Off-GitHub people with a job: namesakes of GitHub look-alikes on
	// another platform, then impostors.
	nImp := max(3, size/50)
	cross := 0
	look := 0
	gitOnly := max(1, size/100)
	for i, k := range kinds {
		m := &member{person: i, kind: k, user: -1}
		p := Person{ID: fmt.Sprintf("p%04d", i+1), Kind: k}
		if i >= svcAt {
			g.service(m, &p, svcs[i-svcAt])
			g.ms = append(g.ms, m)
			g.c.People = append(g.c.People, p)
			continue
		}
		u := githubtest.User{ID: 10_000_000 + int64(i)*37 + int64(g.r.IntN(30)), Type: githubtest.TypeUser}
		off := false
		if k != KindBot && (k != KindDriveBy || gitOnly == 0 || i%17 != 5) {
			off, m.role, m.twin = g.offGitHub(k, look, &cross, &nImp)
		}
		switch {
		case k == KindBot:
			m.login = bots[i]
			g.logins[m.login] = true
			p.Name = strings.TrimSuffix(m.login, "[bot]")
			u.Type = githubtest.TypeBot
			u.ID = []int64{49699333, 41898282, 29139614}[i]
			m.emails = []string{fmt.Sprintf("%d+%s@users.noreply.github.com", u.ID, m.login)}
			m.joined = g.start
		case k == KindDriveBy && gitOnly > 0 && i%17 == 5:
			// Someone whose patch was applied by a maintainer: only an
			// unlinked e-mail, no GitHub account.
			gitOnly--
			fn, ln := pick(g, firstNames), pick(g, lastNames)
			p.Name = fn.display + " " + ln.display
			m.work = g.uniqueEmail(fn.ascii+"."+ln.ascii, pick(g, workDomains))
			m.joined = g.at(g.start, g.now)
			m.gitOnly = true
			m.first, m.last = fn.ascii, ln.ascii
			p.Accounts = append(p.Accounts, Account{PlatformGit, m.work})
			m.display = p.Name
			g.ms = append(g.ms, m)
			g.c.People = append(g.c.People, p)
			continue
		case off:
			// Only on Mastodon, Discourse or Stack Overflow; social() gives
			// the accounts.
			m.off = true
			if m.role == roleLookAlike {
				nm := crossLookAlikes[m.twin]
				p.Name = nm.display
				m.first, m.last, _ = strings.Cut(nm.ascii, "-")
			} else {
				fn, ln := pick(g, firstNames), pick(g, lastNames)
				p.Name = fn.display + " " + ln.display
				m.first, m.last = fn.ascii, ln.ascii
			}
			m.display = p.Name
			m.location = pick(g, locations)
			m.bio = pick(g, bios)
			switch k {
			case KindRegular:
				m.joined = g.at(g.start, g.start.Add(Span/3))
			case KindNewcomer:
				m.joined = g.at(g.now.Add(-60*24*time.Hour), g.now.Add(-24*time.Hour))
			default:
				m.joined = g.at(g.start, g.now.Add(-time.Hour))
			}
			g.ms = append(g.ms, m)
			g.c.People = append(g.c.People, p)
			continue
		default:
			var disp, base string
			if k == KindRegular && look < 2*len(lookAlikes) && (size >= 20 || look < 2) {
				pair := lookAlikes[look/2][look%2]
				disp, base = pair.display, pair.ascii
				look++
				m.look = look
			} else {
				fn, ln := pick(g, firstNames), pick(g, lastNames)
				disp = fn.display + " " + ln.display
				m.first, m.last = fn.ascii, ln.ascii
				switch g.r.IntN(5) {
				case 0:
					base = fn.ascii + "-" + ln.ascii
				case 1:
					base = fn.ascii[:1] + ln.ascii
				case 2:
					base = fn.ascii + ln.ascii + fmt.Sprint(70+g.r.IntN(30))
				case 3:
					base = ln.ascii + "-" + fn.ascii
				default:
					base = fn.ascii + "_" + ln.ascii[:1]
				}
			}
			if m.first == "" {
				m.first, m.last = splitName(disp)
			}
			m.login = g.uniqueLogin(base)
			p.Name = disp
			if g.r.IntN(10) == 0 && k != KindStaff {
				p.Name = "" // no display name on the profile
			}
			u.Name = p.Name
			u.Location = pick(g, locations)
			u.Bio = pick(g, bios)
			m.location, m.bio = u.Location, u.Bio
			u.Followers = g.poisson(map[Kind]float64{KindStaff: 120, KindRegular: 40, KindNewcomer: 5, KindDriveBy: 8}[k])
			u.Following = g.poisson(10)
			u.Company = pick(g, companies)
			if k == KindStaff {
				u.Company = "@" + g.c.Org
			}
			personal := g.uniqueEmail(strings.ReplaceAll(base, "-", "."), pick(g, domains))
			if g.r.IntN(3) == 0 {
				u.Email = personal
			}
			if g.r.IntN(4) == 0 {
				u.Blog = "https://" + strings.ToLower(m.login) + ".dev"
				m.site = u.Blog
				g.sites[m.site] = true
			}
			if g.r.IntN(5) == 0 {
				u.Twitter = strings.ReplaceAll(m.login, "-", "_")
				u.Social = append(u.Social, githubtest.Social{Provider: "twitter", URL: "https://twitter.com/" + u.Twitter})
			}
			// A draw kept for the stability of the stream; social() decides
			// the Mastodon links.
			_ = g.r.IntN(4)
			u.Hireable = g.r.IntN(6) == 0
			m.emails = []string{personal, fmt.Sprintf("%d+%s@users.noreply.github.com", u.ID, m.login)}
			switch k {
			case KindStaff, KindRegular:
				m.joined = g.at(g.start, g.start.Add(Span/3))
			case KindNewcomer:
				m.joined = g.at(g.now.Add(-60*24*time.Hour), g.now.Add(-24*time.Hour))
			default:
				m.joined = g.at(g.start, g.now.Add(-time.Hour))
			}
			if (k == KindStaff || k == KindRegular) && g.r.IntN(4) == 0 {
				fn := strings.Split(base, "-")[0]
				m.work = g.uniqueEmail(fn, pick(g, workDomains))
			}
			if k == KindRegular && g.r.IntN(12) == 0 {
				m.alt = g.uniqueLogin(m.login + "-work")
			}
		}
		m.display = p.Name
		u.Login = m.login
		u.SiteAdmin = false
		u.CreatedAt = g.at(m.joined.Add(-3*365*24*time.Hour), m.joined)
		if k == KindBot {
			u.CreatedAt = g.start.Add(-700 * 24 * time.Hour)
		}
		u.UpdatedAt = g.at(m.joined, g.now)
		m.user = len(g.c.Users)
		g.c.Users = append(g.c.Users, u)
		p.Accounts = append(p.Accounts, Account{PlatformGitHub, m.login})
		g.ext(Account{PlatformGitHub, m.login}, fmt.Sprint(u.ID))
		if m.alt != "" {
			alt := githubtest.User{
				ID: 20_000_000 + int64(i), Login: m.alt, Type: githubtest.TypeUser, Name: p.Name,
				Company: pick(g, workDomains), CreatedAt: g.at(m.joined, g.now), UpdatedAt: g.now,
			}
			g.c.Users = append(g.c.Users, alt)
			p.Accounts = append(p.Accounts, Account{PlatformGitHub, m.alt})
			g.ext(Account{PlatformGitHub, m.alt}, fmt.Sprint(alt.ID))
		}
		if m.work != "" {
			p.Accounts = append(p.Accounts, Account{PlatformGit, m.work})
		}
		g.ms = append(g.ms, m)
		g.byLog[m.login] = m
		if m.alt != "" {
			g.byLog[m.alt] = m
		}
		g.c.People = append(g.c.People, p)
		if k == KindStaff {
			g.staff = append(g.staff, m)
		}
		if k == KindStaff || k == KindRegular {
			g.active = append(g.active, m)
		}
	}
}

// offGitHub decides whether a person of kind k lives off GitHub, and with
// which role: the first drive-bys are namesakes of GitHub look-alikes (when
// the namesake exists) and impostors.
func (g *gen) offGitHub(k Kind, look int, cross, nImp *int) (off bool, role string, twin int) {
	switch k {
	case KindDriveBy:
		for *cross < len(crossLookAlikes) {
			j := *cross
			*cross++
			if crossLookAlikes[j].twin < look {
				return true, roleLookAlike, j
			}
		}
		if *nImp > 0 {
			*nImp--
			return true, roleImpostor, 0
		}
		return g.r.Float64() < 0.2, "", 0
	case KindNewcomer:
		return g.r.Float64() < 0.12, "", 0
	case KindRegular:
		if look >= 2*len(lookAlikes) {
			return g.r.Float64() < 0.06, "", 0
		}
	}
	return false, "", 0
}

// uniqueEmail returns local@domain, with a number added to local if the
// address is taken.
func (g *gen) uniqueEmail(local, domain string) string {
	e := local + "@" + domain
	for i := 2; g.emails[strings.ToLower(e)]; i++ {
		e = fmt.Sprintf("%s%d@%s", local, i, domain)
	}
	g.emails[strings.ToLower(e)] = true
	return e
}

// rates are the mean counts of each activity per person of a kind.
type rates struct{ issues, prs, comments, reviews, commits, star, fork float64 }

var kindRates = map[Kind]rates{
	KindStaff:    {4, 10, 30, 25, 25, 0.9, 0.3},
	KindRegular:  {3, 6, 20, 6, 10, 0.9, 0.6},
	KindNewcomer: {0.8, 0.5, 1.5, 0, 0.2, 0.7, 0.25},
	KindDriveBy:  {0.45, 0.35, 0.7, 0, 0, 0.5, 0.15},
	KindBot:      {0, 15, 0, 0, 0, 0, 0},
}

// repo picks a repository, the first one most often.
func (g *gen) repo() int {
	n := len(g.c.Repos)
	if g.r.Float64() < 0.6 || n == 1 {
		return 0
	}
	return 1 + g.r.IntN(n-1)
}

func (g *gen) author(m *member, linked bool) (name, email, login string) {
	if !linked && m.work != "" {
		return m.display, m.work, ""
	}
	n := m.display
	if n == "" {
		n = m.login
	}
	return n, pick(g, m.emails), m.login
}

func (g *gen) activity() {
	type pending struct {
		repo int
		is   githubtest.Issue
	}
	var items []pending
	for _, m := range g.ms {
		if m.off || m.svc != "" {
			continue
		}
		if m.login == "" {
			// git-only: a commit applied by a maintainer.
			ri := g.repo()
			t := g.at(m.joined, g.now)
			st := pick(g, g.staff)
			g.c.Repos[ri].Commits = append(g.c.Repos[ri].Commits, githubtest.Commit{
				Message:    fmt.Sprintf(pick(g, prTitles), pick(g, topics)),
				AuthorName: m.display, AuthorEmail: m.work, AuthorDate: t,
				CommitterName: st.display, CommitterEmail: st.emails[0], CommitterDate: g.after(t, 48*time.Hour),
				Committer: st.login,
			})
			continue
		}
		rt := kindRates[m.kind]
		for range g.poisson(rt.issues) {
			title := pick(g, issueTitles)
			if strings.Contains(title, "%s") {
				title = fmt.Sprintf(title, pick(g, topics))
			}
			items = append(items, pending{g.repo(), githubtest.Issue{User: m.login, Title: title, Body: "Steps to reproduce: …", CreatedAt: g.at(m.joined, g.now)}})
		}
		nPR := g.poisson(rt.prs)
		if m.kind == KindDriveBy && nPR == 0 && g.r.IntN(3) == 0 {
			nPR = 1
		}
		for range nPR {
			title := fmt.Sprintf(pick(g, prTitles), pick(g, topics))
			if m.kind == KindBot {
				title = fmt.Sprintf("Bump %s from 0.%d.0 to 0.%d.0", pick(g, deps), g.r.IntN(20), 20+g.r.IntN(20))
			}
			login := m.login
			if m.alt != "" && g.r.IntN(3) == 0 {
				login = m.alt
			}
			items = append(items, pending{g.repo(), githubtest.Issue{User: login, Title: title, Body: "This PR changes things.", Pull: true, CreatedAt: g.at(m.joined, g.now)}})
		}
		if g.r.Float64() < rt.star {
			ri := g.repo()
			g.c.Repos[ri].Stars = append(g.c.Repos[ri].Stars, githubtest.Star{User: m.login, StarredAt: g.at(m.joined, g.now)})
		}
		if g.r.Float64() < rt.fork {
			ri := g.repo()
			g.c.Repos[ri].Forks = append(g.c.Repos[ri].Forks, Fork{Owner: m.login, At: g.at(m.joined, g.now)})
		}
		for range g.poisson(rt.commits) {
			ri := g.repo()
			name, email, login := g.author(m, g.r.IntN(2) == 0)
			t := g.at(m.joined, g.now)
			g.c.Repos[ri].Commits = append(g.c.Repos[ri].Commits, githubtest.Commit{
				Message:    fmt.Sprintf(pick(g, prTitles), pick(g, topics)),
				AuthorName: name, AuthorEmail: email, AuthorDate: t, Author: login,
				CommitterName: name, CommitterEmail: email, CommitterDate: t, Committer: login,
			})
		}
	}
	// Number issues per repo in creation order.
	slices.SortStableFunc(items, func(a, b pending) int { return a.is.CreatedAt.Compare(b.is.CreatedAt) })
	for _, p := range items {
		rd := &g.c.Repos[p.repo]
		is := p.is
		is.ID = g.id()
		is.Number = len(rd.Issues) + 1
		is.State = "open"
		byMember := g.memberOf(is.User)
		if is.Pull {
			pMerge := map[Kind]float64{KindStaff: 0.9, KindRegular: 0.8, KindBot: 0.7, KindNewcomer: 0.4, KindDriveBy: 0.5}[byMember.kind]
			end := g.after(is.CreatedAt, 4*24*time.Hour)
			if end.Before(g.now) {
				switch x := g.r.Float64(); {
				case x < pMerge:
					is.MergedAt, is.ClosedAt, is.State = end, end, "closed"
				case x < pMerge+0.15:
					is.ClosedAt, is.State = end, "closed"
				}
			}
		} else if end := g.after(is.CreatedAt, 20*24*time.Hour); end.Before(g.now) && g.r.IntN(10) < 6 {
			is.ClosedAt, is.State = end, "closed"
		}
		is.UpdatedAt = later(is.CreatedAt, is.ClosedAt)
		rd.Issues = append(rd.Issues, is)
		if !is.MergedAt.IsZero() {
			name, email, login := g.author(byMember, true)
			if byMember.kind == KindBot {
				name, email = byMember.login, byMember.emails[0]
			}
			rd.Commits = append(rd.Commits, githubtest.Commit{
				Message:    fmt.Sprintf("%s (#%d)", is.Title, is.Number),
				AuthorName: name, AuthorEmail: email, AuthorDate: is.CreatedAt, Author: login,
				CommitterName: "GitHub", CommitterEmail: "noreply@github.com", CommitterDate: is.MergedAt,
			})
		}
	}
	// Conversation comments.
	for _, m := range g.ms {
		if m.login == "" {
			continue
		}
		for range g.poisson(kindRates[m.kind].comments) {
			rd := &g.c.Repos[g.repo()]
			if len(rd.Issues) == 0 {
				continue
			}
			is := &rd.Issues[g.r.IntN(len(rd.Issues))]
			t := g.after(later(is.CreatedAt, m.joined), 3*24*time.Hour)
			if t.After(g.now) {
				continue
			}
			rd.Comments = append(rd.Comments, githubtest.Comment{ID: g.id(), Issue: is.Number, User: m.login, Body: pick(g, commentBodies), CreatedAt: t, UpdatedAt: t})
		}
	}
	// CI bot comments on some pull requests.
	for ri := range g.c.Repos {
		rd := &g.c.Repos[ri]
		for i := range rd.Issues {
			is := &rd.Issues[i]
			if is.Pull && g.r.IntN(4) == 0 && len(g.ms) > 1 && g.ms[1].kind == KindBot {
				t := is.CreatedAt.Add(time.Duration(2+g.r.IntN(600)) * time.Second)
				rd.Comments = append(rd.Comments, githubtest.Comment{ID: g.id(), Issue: is.Number, User: g.ms[1].login, Body: "✅ All checks passed.", CreatedAt: t, UpdatedAt: t})
			}
		}
	}
	// Reviews (and their diff comments) by staff and regulars.
	for ri := range g.c.Repos {
		rd := &g.c.Repos[ri]
		for i := range rd.Issues {
			is := &rd.Issues[i]
			if !is.Pull {
				continue
			}
			n := g.poisson(1.3)
			if !is.MergedAt.IsZero() && n == 0 {
				n = 1
			}
			for range n {
				rv := pick(g, g.active)
				if rv.login == is.User {
					continue
				}
				end := g.now
				if !is.ClosedAt.IsZero() {
					end = is.ClosedAt
				}
				t := g.at(is.CreatedAt, end)
				state := pick(g, []string{githubtest.ReviewApproved, githubtest.ReviewApproved, githubtest.ReviewCommented, githubtest.ReviewChangesRequested})
				r := githubtest.Review{ID: g.id(), Pull: is.Number, User: rv.login, State: state, Body: pick(g, reviewBodies), SubmittedAt: t}
				rd.Reviews = append(rd.Reviews, r)
				if state != githubtest.ReviewApproved || g.r.IntN(4) == 0 {
					for range 1 + g.r.IntN(3) {
						rd.ReviewComments = append(rd.ReviewComments, githubtest.ReviewComment{
							ID: g.id(), Pull: is.Number, ReviewID: r.ID, User: rv.login,
							Body: pick(g, reviewCommentBodies), Path: pick(g, []string{"main.go", "config/config.go", "README.md", "crm/store.go"}),
							CreatedAt: t, UpdatedAt: t,
						})
					}
				}
			}
		}
	}
	// Releases by staff: monthly on the first repo, rarer elsewhere.
	for ri := range g.c.Repos {
		rd := &g.c.Repos[ri]
		every := 30 * 24 * time.Hour
		if ri > 0 {
			every = 90 * 24 * time.Hour
		}
		minor := 0
		for t := g.start.Add(time.Duration(g.r.Int64N(int64(every)))); t.Before(g.now); t = t.Add(every/2 + time.Duration(g.r.Int64N(int64(every)))) {
			minor++
			tag := fmt.Sprintf("v0.%d.0", minor)
			created := t.Truncate(time.Second)
			rd.Releases = append(rd.Releases, githubtest.Release{
				ID: g.id(), TagName: tag, Name: "Release " + tag, Author: pick(g, g.staff).login,
				Body: "## What's changed\n* Fixes and improvements", CreatedAt: created, PublishedAt: created.Add(time.Duration(g.r.IntN(3600)) * time.Second),
			})
		}
	}
}

func (g *gen) memberOf(login string) *member {
	if m, ok := g.byLog[login]; ok {
		return m
	}
	return g.ms[0]
}

// ensure makes every GitHub activity type occur at least once.
func (g *gen) ensure() {
	rd := &g.c.Repos[0]
	reg := g.active[len(g.active)-1]
	st := g.staff[0]
	t := g.now.Add(-30 * 24 * time.Hour)
	var issues, prs, merged int
	for _, is := range rd.Issues {
		switch {
		case !is.Pull:
			issues++
		case !is.MergedAt.IsZero():
			merged++
			prs++
		default:
			prs++
		}
	}
	addIssue := func(pull, merge bool) {
		is := githubtest.Issue{ID: g.id(), Number: len(rd.Issues) + 1, User: reg.login, Title: "Follow-up", Pull: pull, State: "open", CreatedAt: t, UpdatedAt: t}
		if merge {
			m := t.Add(24 * time.Hour)
			is.MergedAt, is.ClosedAt, is.State, is.UpdatedAt = m, m, "closed", m
		}
		rd.Issues = append(rd.Issues, is)
		t = t.Add(time.Hour)
	}
	if issues == 0 {
		addIssue(false, false)
	}
	if prs == 0 || merged == 0 {
		addIssue(true, true)
	}
	if len(rd.Comments) == 0 {
		rd.Comments = append(rd.Comments, githubtest.Comment{ID: g.id(), Issue: 1, User: st.login, Body: "Thanks!", CreatedAt: g.now.Add(-time.Hour), UpdatedAt: g.now.Add(-time.Hour)})
	}
	var pr int
	for _, is := range rd.Issues {
		if is.Pull && is.User != st.login {
			pr = is.Number
		}
	}
	if len(rd.Reviews) == 0 && pr > 0 {
		rd.Reviews = append(rd.Reviews, githubtest.Review{ID: g.id(), Pull: pr, User: st.login, State: githubtest.ReviewCommented, SubmittedAt: g.now.Add(-2 * time.Hour)})
	}
	if len(rd.ReviewComments) == 0 && pr > 0 {
		rd.ReviewComments = append(rd.ReviewComments, githubtest.ReviewComment{ID: g.id(), Pull: pr, User: st.login, Body: "nit", Path: "main.go", CreatedAt: g.now.Add(-2 * time.Hour), UpdatedAt: g.now.Add(-2 * time.Hour)})
	}
	if len(rd.Stars) == 0 {
		rd.Stars = append(rd.Stars, githubtest.Star{User: reg.login, StarredAt: t})
	}
	if len(rd.Forks) == 0 {
		rd.Forks = append(rd.Forks, Fork{Owner: reg.login, At: t})
	}
	if len(rd.Releases) == 0 {
		rd.Releases = append(rd.Releases, githubtest.Release{ID: g.id(), TagName: "v0.1.0", Name: "v0.1.0", Author: st.login, CreatedAt: t, PublishedAt: t})
	}
	var linked, unlinked bool
	for _, r := range g.c.Repos {
		for _, c := range r.Commits {
			linked = linked || c.Author != ""
			unlinked = unlinked || c.Author == ""
		}
	}
	if !linked {
		rd.Commits = append(rd.Commits, githubtest.Commit{Message: "Initial commit", AuthorName: st.display, AuthorEmail: st.emails[0], AuthorDate: t, Author: st.login, CommitterName: st.display, CommitterEmail: st.emails[0], CommitterDate: t, Committer: st.login})
	}
	if !unlinked {
		if st.work == "" {
			st.work = g.uniqueEmail(strings.SplitN(st.login, "-", 2)[0], workDomains[0])
			p := &g.c.People[st.person]
			p.Accounts = append(p.Accounts, Account{PlatformGit, st.work})
		}
		rd.Commits = append(rd.Commits, githubtest.Commit{Message: "Fix build", AuthorName: st.display, AuthorEmail: st.work, AuthorDate: t, CommitterName: st.display, CommitterEmail: st.work, CommitterDate: t})
	}
}

// finish sorts a repository's items chronologically, bumps issue
// updated_at and comment counts as GitHub would, and fills commit SHAs.
func (g *gen) finish(rd *RepoData) {
	byTime := func(a, b time.Time) int { return a.Compare(b) }
	slices.SortStableFunc(rd.Comments, func(a, b githubtest.Comment) int { return byTime(a.CreatedAt, b.CreatedAt) })
	slices.SortStableFunc(rd.Reviews, func(a, b githubtest.Review) int { return byTime(a.SubmittedAt, b.SubmittedAt) })
	slices.SortStableFunc(rd.ReviewComments, func(a, b githubtest.ReviewComment) int { return byTime(a.CreatedAt, b.CreatedAt) })
	slices.SortStableFunc(rd.Stars, func(a, b githubtest.Star) int { return byTime(a.StarredAt, b.StarredAt) })
	slices.SortStableFunc(rd.Forks, func(a, b Fork) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(rd.Commits, func(a, b githubtest.Commit) int { return byTime(a.CommitterDate, b.CommitterDate) })
	bump := func(n int, t time.Time) {
		is := &rd.Issues[n-1]
		is.UpdatedAt = later(is.UpdatedAt, t)
	}
	for _, c := range rd.Comments {
		rd.Issues[c.Issue-1].Comments++
		bump(c.Issue, c.UpdatedAt)
	}
	for _, r := range rd.Reviews {
		bump(r.Pull, r.SubmittedAt)
	}
	for _, c := range rd.ReviewComments {
		bump(c.Pull, c.UpdatedAt)
	}
	for i := range rd.Commits {
		c := &rd.Commits[i]
		if c.SHA == "" {
			c.SHA = fmt.Sprintf("%016x%016x%08x", g.r.Uint64(), g.r.Uint64(), g.r.Uint32())
		}
	}
}
