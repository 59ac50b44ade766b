package community

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// Service accounts and special roles of off-GitHub people.
const (
	svcCommunity = "community" // the community's own Mastodon account
	svcSystem    = "system"    // Discourse's system user
	svcDiscobot  = "discobot"  // Discourse's discobot
	svcMastoBot  = "mastobot"  // a Mastodon bot announcing releases

	roleLookAlike = "look-alike"
	roleImpostor  = "impostor"
)

// Where the community lives on the other platforms.
const (
	mastodonInstance = "fosstodon.org"
	mastodonBotHome  = "botsin.space"
	discourseHost    = "discuss.rollcall.example"
	soHost           = "stackoverflow.com"
	hashtag          = "rollcall"
	soTag            = "rollcall"
)

// Discourse category ids.
const (
	catAnnouncements int64 = 5 + iota
	catSupport
	catIdeas
	catShow
)

// service makes m the person behind a service account.
func (g *gen) service(m *member, p *Person, svc string) {
	m.svc, m.off = svc, true
	m.joined = g.start
	switch svc {
	case svcCommunity:
		p.Kind, p.Name = KindStaff, "Rollcall"
	case svcSystem:
		p.Kind, p.Name = KindBot, "system"
	case svcDiscobot:
		p.Kind, p.Name = KindBot, "discobot"
	case svcMastoBot:
		p.Kind, p.Name = KindBot, "Rollcall releases"
	}
	m.kind, m.display = p.Kind, p.Name
}

// ext records the external id of an account.
func (g *gen) ext(a Account, id string) {
	if g.c.ext == nil {
		g.c.ext = map[Account]string{}
	}
	g.c.ext[a] = id
}

// own gives person m the account a with external id id.
func (g *gen) own(m *member, a Account, id string) {
	p := &g.c.People[m.person]
	p.Accounts = append(p.Accounts, a)
	g.ext(a, id)
}

var fold = strings.NewReplacer(
	"á", "a", "à", "a", "ã", "a", "â", "a", "ä", "a", "å", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ı", "i", "İ", "i", "ó", "o", "ò", "o", "ô", "o", "ö", "o", "ø", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ñ", "n", "ç", "c", "ş", "s", "ł", "l", "ễ", "e", "ý", "y",
)

// ascii folds a name to lower-case ASCII letters and digits.
func ascii(s string) string {
	s = fold.Replace(strings.ToLower(s))
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, s)
}

// splitName returns the ASCII first and last name of a display name.
func splitName(display string) (first, last string) {
	f, l, _ := strings.Cut(display, " ")
	return ascii(f), ascii(l)
}

// unique returns handle, or handle with a number added, unused on platform.
func (g *gen) unique(platform, handle string) string {
	h := handle
	for i := 2; g.handles[platform+"/"+strings.ToLower(h)]; i++ {
		h = fmt.Sprintf("%s%d", handle, i)
	}
	g.handles[platform+"/"+strings.ToLower(h)] = true
	return h
}

// slug is Stack Overflow's URL slug of a display name.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range fold.Replace(strings.ToLower(s)) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// GitHubURL returns the profile URL of a GitHub login, as the GitHub fake
// serves it in html_url.
func GitHubURL(login string) string { return "https://github.com/" + login }

// social gives people their Mastodon, Discourse and Stack Overflow
// accounts and links the profiles to each other.
func (g *gen) social() {
	c := g.c
	c.Mastodon = MastodonData{Instance: mastodonInstance, Hashtags: []string{hashtag}}
	c.Discourse = DiscourseData{Host: discourseHost, Categories: []DiscourseCategory{
		{ID: catAnnouncements, Name: "Announcements", Slug: "announcements", Description: "Releases and news from the Rollcall team."},
		{ID: catSupport, Name: "Support", Slug: "support", Description: "Questions about installing and running Rollcall.", Solved: true},
		{ID: catIdeas, Name: "Ideas", Slug: "ideas", Description: "Feature ideas and proposals."},
		{ID: catShow, Name: "Show and tell", Slug: "show-and-tell", Description: "What you built with Rollcall."},
	}}
	c.StackOverflow = StackOverflowData{Site: "stackoverflow", Tags: []string{soTag}}
	g.soUser, g.soAccount = 1_400_000, 900_000
	for _, m := range g.ms {
		if m.svc != "" {
			g.serviceAccount(m)
		}
	}
	imp := 0
	for _, m := range g.ms {
		switch {
		case m.svc != "" || m.gitOnly || m.kind == KindBot:
			continue
		case m.off:
			g.offAccounts(m, &imp)
		default:
			g.gitHubPersonAccounts(m)
		}
	}
	g.numberDiscourseUsers()
}

func (g *gen) serviceAccount(m *member) {
	c := g.c
	switch m.svc {
	case svcCommunity:
		a := MastodonAccount{
			Username: "rollcall", Domain: mastodonInstance, DisplayName: "Rollcall",
			Note:      "Open source community CRM. Posts by the maintainers. #rollcall",
			Fields:    []MastodonField{{Name: "Website", Value: "https://rollcall.example", VerifiedAt: g.start.Add(24 * time.Hour)}},
			CreatedAt: g.start.Add(-120 * 24 * time.Hour),
		}
		g.handles[PlatformMastodon+"/"+a.Acct()] = true
		c.Mastodon.Users = append(c.Mastodon.Users, a)
		c.Mastodon.Accounts = append(c.Mastodon.Accounts, a.Acct())
		m.masto = len(c.Mastodon.Users)
		g.own(m, Account{PlatformMastodon, a.Acct()}, a.Acct())
	case svcMastoBot:
		a := MastodonAccount{
			Username: "rollcall_releases", Domain: mastodonBotHome, DisplayName: "Rollcall releases", Bot: true,
			Note:      "Automated: new Rollcall releases. Maintained by @rollcall@" + mastodonInstance,
			CreatedAt: g.start.Add(-30 * 24 * time.Hour),
		}
		g.handles[PlatformMastodon+"/"+a.Acct()] = true
		c.Mastodon.Users = append(c.Mastodon.Users, a)
		m.masto = len(c.Mastodon.Users)
		g.own(m, Account{PlatformMastodon, a.Acct()}, a.Acct())
	case svcSystem, svcDiscobot:
		u := DiscourseUser{ID: -1, Username: "system", Name: "system", TrustLevel: 4, Admin: true, Moderator: true,
			Bio: "Not a real person. A global user for system notifications and other system tasks.", CreatedAt: g.start}
		if m.svc == svcDiscobot {
			u = DiscourseUser{ID: -2, Username: "discobot", Name: "discobot", TrustLevel: 4,
				Bio: "Hi, I'm not a real person. I'm a bot that can teach you about this site.", CreatedAt: g.start}
		}
		g.handles[PlatformDiscourse+"/"+u.Username] = true
		c.Discourse.Users = append(c.Discourse.Users, u)
		m.disc = len(c.Discourse.Users)
		g.own(m, Account{PlatformDiscourse, u.Username}, fmt.Sprint(u.ID))
	}
}

// platformOdds are the chances of a GitHub person of each kind to be on
// Mastodon, Discourse and Stack Overflow.
var platformOdds = map[Kind][3]float64{
	KindStaff:    {0.6, 1, 0.35},
	KindRegular:  {0.35, 0.65, 0.3},
	KindNewcomer: {0.2, 0.4, 0.2},
	KindDriveBy:  {0.12, 0.22, 0.12},
}

func (g *gen) gitHubPersonAccounts(m *member) {
	c := g.c
	u := &c.Users[m.user]
	// Mastodon links come from the accounts below, not from chance.
	u.Social = slices.DeleteFunc(u.Social, func(s githubtest.Social) bool { return s.Provider == "mastodon" })
	odds := platformOdds[m.kind]
	all := len(g.staff) > 0 && m == g.staff[0] // the first maintainer is everywhere
	onM, onD, onS := all || g.r.Float64() < odds[0], all || g.r.Float64() < odds[1], all || g.r.Float64() < odds[2]
	handle := strings.ToLower(m.login)
	gh := GitHubURL(m.login)

	if onM {
		a := g.newMastodon(m, handle)
		ghLinks := g.r.Float64() < 0.55
		if ghLinks {
			if g.r.IntN(4) == 0 {
				if u.Blog != "" {
					u.Social = append(u.Social, githubtest.Social{Provider: "generic", URL: u.Blog})
				}
				u.Blog = a.URL()
			} else {
				u.Social = append(u.Social, githubtest.Social{Provider: "mastodon", URL: a.URL()})
			}
		}
		switch {
		case ghLinks && g.r.Float64() < 0.85:
			// rel=me verified: GitHub links back.
			a.Fields = append(a.Fields, MastodonField{Name: "GitHub", Value: gh, VerifiedAt: g.at(a.CreatedAt, g.now)})
		case !ghLinks && g.r.Float64() < 0.35:
			a.Fields = append(a.Fields, MastodonField{Name: "GitHub", Value: gh})
		}
		if m.site != "" && g.r.IntN(5) < 2 {
			a.Fields = append(a.Fields, MastodonField{Name: "Website", Value: m.site})
		}
		if m.location != "" && g.r.IntN(4) == 0 {
			a.Fields = append(a.Fields, MastodonField{Name: "Location", Value: m.location})
		}
	}
	if onD {
		d := g.newDiscourse(m, handle)
		switch x := g.r.Float64(); {
		case x < 0.4:
			d.Website = gh
		case x < 0.55 && m.site != "":
			d.Website = m.site
		case x < 0.65 && m.masto > 0:
			d.Website = c.Mastodon.Users[m.masto-1].URL()
		}
		if g.r.Float64() < 0.45 {
			d.GitHub = m.login
		}
		if g.r.IntN(20) == 0 {
			u.Social = append(u.Social, githubtest.Social{Provider: "generic", URL: d.URL(discourseHost)})
		}
	}
	if onS {
		s := g.newSO(m, handle)
		switch x := g.r.Float64(); {
		case x < 0.4:
			s.WebsiteURL = gh
		case x < 0.6 && m.site != "":
			s.WebsiteURL = m.site
		}
		if g.r.Float64() < 0.15 {
			u.Social = append(u.Social, githubtest.Social{Provider: "generic", URL: s.Link})
		}
	}
}

// offAccounts gives an off-GitHub person one to three accounts.
func (g *gen) offAccounts(m *member, imp *int) {
	c := g.c
	handle := m.first + "_" + m.last
	if g.r.IntN(2) == 0 {
		handle = m.first + m.last[:min(1, len(m.last))]
	}
	var plats []string
	switch m.role {
	case roleLookAlike:
		plats = []string{crossLookAlikes[m.twin].platform}
	case roleImpostor:
		plats = []string{[]string{PlatformMastodon, PlatformDiscourse, PlatformStackOverflow}[*imp%3]}
		*imp++
	default:
		x := g.r.Float64()
		first := PlatformMastodon
		switch {
		case x < 0.45:
			first = PlatformDiscourse
		case x < 0.8:
			first = PlatformStackOverflow
		}
		plats = []string{first}
		for _, p := range []string{PlatformMastodon, PlatformDiscourse, PlatformStackOverflow} {
			if p != first && g.r.Float64() < 0.2 {
				plats = append(plats, p)
			}
		}
		if g.r.Float64() < 0.3 {
			m.site = g.uniqueSite("https://" + m.first + m.last + ".net")
		}
	}
	if m.role == roleImpostor {
		g.impostor(m, plats[0])
		return
	}
	for _, p := range plats {
		switch p {
		case PlatformMastodon:
			a := g.newMastodon(m, handle)
			if m.site != "" && g.r.IntN(2) == 0 {
				a.Fields = append(a.Fields, MastodonField{Name: "Website", Value: m.site})
			}
		case PlatformDiscourse:
			d := g.newDiscourse(m, handle)
			switch {
			case m.site != "" && g.r.IntN(2) == 0:
				d.Website = m.site
			case m.masto > 0 && g.r.IntN(2) == 0:
				d.Website = c.Mastodon.Users[m.masto-1].URL()
			}
		case PlatformStackOverflow:
			s := g.newSO(m, handle)
			if m.site != "" && g.r.IntN(2) == 0 {
				s.WebsiteURL = m.site
			}
		}
	}
}

// impostor makes m an account on platform that claims the GitHub account
// of a maintainer or regular, who does not link back.
func (g *gen) impostor(m *member, platform string) {
	c := g.c
	victim := pick(g, g.active)
	if g.r.IntN(2) == 0 && victim.display != "" {
		// Copies the name too.
		m.display = victim.display
		c.People[m.person].Name = victim.display
	}
	handle := strings.ToLower(victim.login)
	gh := GitHubURL(victim.login)
	var acct Account
	switch platform {
	case PlatformMastodon:
		a := g.newMastodon(m, handle)
		a.Fields = append(a.Fields, MastodonField{Name: "GitHub", Value: gh})
		acct = Account{PlatformMastodon, a.Acct()}
	case PlatformDiscourse:
		d := g.newDiscourse(m, handle)
		d.Website, d.TrustLevel = gh, max(1, d.TrustLevel)
		acct = Account{PlatformDiscourse, d.Username}
	default:
		s := g.newSO(m, handle)
		s.WebsiteURL = gh
		acct = Account{PlatformStackOverflow, s.DisplayName}
	}
	c.Impostors = append(c.Impostors, Impostor{
		Person: c.People[m.person].ID, Account: acct, Claims: victim.login, Victim: c.People[victim.person].ID,
	})
}

func (g *gen) uniqueSite(site string) string {
	s := site
	for i := 2; g.sites[s]; i++ {
		s = strings.Replace(site, ".net", fmt.Sprintf("%d.net", i), 1)
	}
	g.sites[s] = true
	return s
}

// mastodonHandle cleans a handle for Mastodon: [a-z0-9_].
func mastodonHandle(h string) string {
	h = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r == '-' || r == '.':
			return '_'
		}
		return -1
	}, strings.ToLower(h))
	if h == "" {
		h = "user"
	}
	return h
}

// newMastodon creates m's Mastodon account, usually named like handle.
func (g *gen) newMastodon(m *member, handle string) *MastodonAccount {
	c := g.c
	domain := mastodonInstance
	if g.r.Float64() < 0.65 {
		domain = pick(g, mastodonDomains)
	}
	base := handle
	if g.r.Float64() < 0.4 && m.first != "" {
		base = pick(g, []string{m.first, m.first + "_" + m.last, m.first + m.last[:min(1, len(m.last))], m.last + m.first, m.first + "codes"})
	}
	base = mastodonHandle(base)
	user := base
	for i := 2; g.handles[PlatformMastodon+"/"+user+"@"+domain]; i++ {
		user = fmt.Sprintf("%s%d", base, i)
	}
	g.handles[PlatformMastodon+"/"+user+"@"+domain] = true
	disp := m.display
	if disp == "" {
		disp = user
	}
	switch g.r.IntN(10) {
	case 0:
		disp += " 🌻"
	case 1:
		disp += " ✨"
	}
	a := MastodonAccount{
		Username: user, Domain: domain, DisplayName: disp, Note: m.bio,
		CreatedAt: g.at(m.joined.Add(-2*365*24*time.Hour), m.joined),
	}
	c.Mastodon.Users = append(c.Mastodon.Users, a)
	m.masto = len(c.Mastodon.Users)
	g.own(m, Account{PlatformMastodon, a.Acct()}, a.Acct())
	return &c.Mastodon.Users[m.masto-1]
}

// newDiscourse creates m's forum account; its id is set by
// numberDiscourseUsers.
func (g *gen) newDiscourse(m *member, handle string) *DiscourseUser {
	c := g.c
	base := handle
	if g.r.Float64() < 0.35 && m.first != "" {
		base = pick(g, []string{m.first + "_" + m.last, m.first + "." + m.last, m.first + m.last[:min(1, len(m.last))], m.first})
	}
	name := m.display
	if g.r.IntN(7) == 0 {
		name = ""
	}
	tl := map[Kind]int{KindStaff: 3, KindRegular: 2 + g.r.IntN(2), KindNewcomer: 1, KindDriveBy: g.r.IntN(2)}[m.kind]
	d := DiscourseUser{
		Username: g.unique(PlatformDiscourse, base), Name: name, TrustLevel: tl,
		Location: m.location, Bio: m.bio,
		CreatedAt: g.at(m.joined.Add(-20*24*time.Hour), m.joined.Add(24*time.Hour)),
	}
	if m.kind == KindStaff {
		d.Moderator = true
		d.Admin = len(g.staff) > 0 && m == g.staff[0]
	}
	switch {
	case len(m.emails) > 0 && g.r.IntN(10) < 7:
		d.Email = m.emails[0]
	case m.work != "":
		d.Email = m.work
	default:
		d.Email = g.uniqueEmail(m.first+"."+m.last, pick(g, domains))
	}
	c.Discourse.Users = append(c.Discourse.Users, d)
	m.disc = len(c.Discourse.Users)
	p := &c.People[m.person]
	p.Accounts = append(p.Accounts, Account{PlatformDiscourse, d.Username})
	return &c.Discourse.Users[m.disc-1]
}

// numberDiscourseUsers gives forum accounts ids in sign-up order (system
// and discobot keep theirs) and records them in the truth.
func (g *gen) numberDiscourseUsers() {
	d := &g.c.Discourse
	slices.SortStableFunc(d.Users, func(a, b DiscourseUser) int {
		if (a.ID < 0) != (b.ID < 0) {
			if a.ID < 0 {
				return -1
			}
			return 1
		}
		if a.ID < 0 {
			return -int(a.ID - b.ID)
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	idx := map[string]int{}
	next := int64(0)
	for i := range d.Users {
		u := &d.Users[i]
		if u.ID >= 0 {
			next++
			u.ID = next
		}
		idx[strings.ToLower(u.Username)] = i + 1
	}
	for _, m := range g.ms {
		if m.disc == 0 {
			continue
		}
		// m.disc pointed into the unsorted slice; find the account again
		// through the person's Discourse account.
		for _, a := range g.c.People[m.person].Accounts {
			if a.Platform == PlatformDiscourse {
				m.disc = idx[strings.ToLower(a.Username)]
				g.ext(a, fmt.Sprint(d.Users[m.disc-1].ID))
			}
		}
	}
}

// newSO creates m's Stack Overflow account.
func (g *gen) newSO(m *member, handle string) *SOUser {
	c := g.c
	g.soUser += 1 + int64(g.r.IntN(40_000))
	g.soAccount += 1 + int64(g.r.IntN(30_000))
	var disp string
	switch x := g.r.Float64(); {
	case x < 0.45 && m.display != "":
		disp = m.display
	case x < 0.7 && m.first != "":
		disp = strings.ToUpper(m.first[:1]) + m.first[1:] + " " + strings.ToUpper(m.last[:min(1, len(m.last))]) + m.last[min(1, len(m.last)):]
	case x < 0.95:
		disp = handle
	default:
		disp = fmt.Sprintf("user%d", g.soUser)
	}
	// Display names are not unique on Stack Overflow, but they are within
	// the generated community so that Account stays a key.
	if g.handles[PlatformStackOverflow+"/"+strings.ToLower(disp)] {
		disp = fmt.Sprintf("user%d", g.soUser)
	}
	g.handles[PlatformStackOverflow+"/"+strings.ToLower(disp)] = true
	s := SOUser{
		UserID: g.soUser, AccountID: g.soAccount, DisplayName: disp,
		Link:         fmt.Sprintf("https://%s/users/%d/%s", soHost, g.soUser, slug(disp)),
		CreationDate: g.at(m.joined.Add(-5*365*24*time.Hour), m.joined),
		Reputation:   1,
	}
	if g.r.IntN(5) < 3 {
		s.Location = m.location
	}
	c.StackOverflow.Users = append(c.StackOverflow.Users, s)
	m.so = len(c.StackOverflow.Users)
	g.own(m, Account{PlatformStackOverflow, disp}, fmt.Sprint(s.UserID))
	return &c.StackOverflow.Users[m.so-1]
}

// lookAlikePairs lists the pairs of different people with confusable
// names: the GitHub look-alikes and their namesakes on other platforms.
func (g *gen) lookAlikePairs() {
	gh := make([]*member, 2*len(lookAlikes))
	for _, m := range g.ms {
		if m.look > 0 {
			gh[m.look-1] = m
		}
	}
	id := func(m *member) string { return g.c.People[m.person].ID }
	for i := 0; i+1 < len(gh); i += 2 {
		if gh[i] != nil && gh[i+1] != nil {
			g.c.LookAlikes = append(g.c.LookAlikes, [2]string{id(gh[i]), id(gh[i+1])})
		}
	}
	for _, m := range g.ms {
		if m.role == roleLookAlike {
			if t := gh[crossLookAlikes[m.twin].twin]; t != nil {
				g.c.LookAlikes = append(g.c.LookAlikes, [2]string{id(t), id(m)})
			}
		}
	}
}
