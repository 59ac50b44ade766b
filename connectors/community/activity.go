package community

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// socialRates are the mean counts of each activity per person of a kind on
// Mastodon, Discourse and Stack Overflow.
type socialRates struct {
	posts, mentions, boosts, favs, follow float64 // Mastodon (follow: a chance)
	topics, replies, likes                float64 // Discourse
	questions, answers, comments          float64 // Stack Overflow
}

var socialKindRates = map[Kind]socialRates{
	KindStaff:    {5, 1.5, 5, 8, 0.9, 2, 15, 20, 0.1, 6, 4},
	KindRegular:  {3, 2, 2.5, 5, 0.8, 2, 7, 10, 0.6, 2.5, 3},
	KindNewcomer: {1.2, 1, 1, 2, 0.6, 1, 1.5, 3, 1, 0.3, 1},
	KindDriveBy:  {0.8, 0.7, 0.5, 1.2, 0.45, 0.8, 1, 1.5, 0.8, 0.3, 0.8},
}

// fill formats a template with a random topic when it has a verb.
func (g *gen) fill(tmpl string) string {
	if strings.Contains(tmpl, "%s") {
		return fmt.Sprintf(tmpl, pick(g, topics))
	}
	return tmpl
}

// firstStaff returns the member of the first maintainer, nil if none.
func (g *gen) firstStaff() *member {
	if len(g.staff) == 0 {
		return nil
	}
	return g.staff[0]
}

// ---- Mastodon ----

func (g *gen) mastodonActivity() {
	md := &g.c.Mastodon
	if len(md.Users) == 0 {
		return
	}
	community := md.Users[0].Acct()
	mention := "@" + community
	// Statuses are built with a temporary number (index+1 in sts), then
	// sorted and renumbered.
	var sts []MastodonStatus
	var boosts, favs []MastodonReaction
	var follows []MastodonFollow
	var own []int // temporary numbers of the community's statuses
	add := func(s MastodonStatus) int {
		sts = append(sts, s)
		return len(sts)
	}
	for t := g.start.Add(time.Duration(g.r.Int64N(int64(72 * time.Hour)))); t.Before(g.now); t = t.Add(time.Duration(48+g.r.IntN(96)) * time.Hour) {
		s := MastodonStatus{Account: community, Content: g.fill(pick(g, communityPosts)), CreatedAt: t.Truncate(time.Second)}
		if g.r.IntN(2) == 0 {
			s.Content += " #" + hashtag
			s.Tags = []string{hashtag}
		}
		own = append(own, add(s))
	}
	for _, m := range g.ms {
		if m.svc == svcMastoBot && m.masto > 0 && len(g.c.Repos) > 0 {
			rd := g.c.Repos[0]
			for _, r := range rd.Releases {
				t := r.PublishedAt.Add(5 * time.Minute)
				if t.After(g.now) {
					continue
				}
				add(MastodonStatus{
					Account:   md.Users[m.masto-1].Acct(),
					Content:   fmt.Sprintf("Rollcall %s released: https://github.com/%s/releases/tag/%s #%s", r.TagName, rd.Repo.FullName(), r.TagName, hashtag),
					Tags:      []string{hashtag},
					CreatedAt: t,
				})
			}
		}
	}
	boosted, faved := map[[2]any]bool{}, map[[2]any]bool{}
	// react picks a community status published after from and returns its
	// temporary number and a reaction time, ok false if none fits.
	react := func(from time.Time) (int, time.Time, bool) {
		if len(own) == 0 {
			return 0, time.Time{}, false
		}
		n := own[g.r.IntN(len(own))]
		s := sts[n-1]
		if s.CreatedAt.Before(from) {
			// Prefer a later one: try once more from the newer half.
			n = own[len(own)/2+g.r.IntN(len(own)-len(own)/2)]
			s = sts[n-1]
		}
		t := g.after(s.CreatedAt.Add(time.Minute), 36*time.Hour)
		if t.After(g.now) || t.Before(from) {
			return 0, time.Time{}, false
		}
		return n, t, true
	}
	for _, m := range g.ms {
		if m.masto == 0 || m.svc != "" {
			continue
		}
		a := md.Users[m.masto-1]
		acct := a.Acct()
		from := later(m.joined, a.CreatedAt)
		rt := socialKindRates[m.kind]
		for range g.poisson(rt.posts) {
			tags := []string{hashtag}
			if g.r.IntN(4) == 0 {
				tags = append(tags, pick(g, []string{"golang", "opensource", "selfhosted", "devrel"}))
			}
			content := g.fill(pick(g, mastodonPosts))
			for _, t := range tags[1:] {
				content += " #" + t
			}
			add(MastodonStatus{Account: acct, Content: content, Tags: tags, CreatedAt: g.at(from, g.now)})
		}
		for range g.poisson(rt.mentions) {
			s := MastodonStatus{Account: acct, Content: mention + " " + g.fill(pick(g, mastodonMentions)), Mentions: []string{community}, CreatedAt: g.at(from, g.now)}
			if g.r.IntN(2) == 0 {
				if n, t, ok := react(from); ok {
					s.InReplyTo, s.CreatedAt = n, t
				}
			}
			add(s)
		}
		for range g.poisson(rt.boosts) {
			if n, t, ok := react(from); ok && !boosted[[2]any{acct, n}] {
				boosted[[2]any{acct, n}] = true
				boosts = append(boosts, MastodonReaction{Account: acct, Status: n, At: t})
			}
		}
		for range g.poisson(rt.favs) {
			if n, t, ok := react(from); ok && !faved[[2]any{acct, n}] {
				faved[[2]any{acct, n}] = true
				favs = append(favs, MastodonReaction{Account: acct, Status: n, At: t})
			}
		}
		if g.r.Float64() < rt.follow {
			follows = append(follows, MastodonFollow{Account: acct, Target: community, At: g.at(from, g.now)})
		}
	}
	// Every kind of activity at least once, by the first maintainer.
	if st := g.firstStaff(); st != nil && st.masto > 0 && len(own) > 0 {
		acct := md.Users[st.masto-1].Acct()
		n := own[len(own)-1]
		t := g.clamp(sts[n-1].CreatedAt.Add(time.Minute))
		var posts, ments int
		for _, s := range sts {
			if s.Account != community && slices.Contains(s.Tags, hashtag) {
				posts++
			}
			if len(s.Mentions) > 0 {
				ments++
			}
		}
		if posts == 0 {
			add(MastodonStatus{Account: acct, Content: "Release day! #" + hashtag, Tags: []string{hashtag}, CreatedAt: t})
		}
		if ments == 0 {
			add(MastodonStatus{Account: acct, Content: mention + " thanks for all the fish", Mentions: []string{community}, InReplyTo: n, CreatedAt: t})
		}
		if len(boosts) == 0 {
			boosts = append(boosts, MastodonReaction{Account: acct, Status: n, At: t})
		}
		if len(favs) == 0 {
			favs = append(favs, MastodonReaction{Account: acct, Status: n, At: t})
		}
		if len(follows) == 0 {
			follows = append(follows, MastodonFollow{Account: acct, Target: community, At: t})
		}
	}
	// Number in time order.
	order := make([]int, len(sts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return sts[a].CreatedAt.Compare(sts[b].CreatedAt) })
	newN := make([]int, len(sts)+1)
	for i, o := range order {
		newN[o+1] = i + 1
	}
	md.Statuses = make([]MastodonStatus, len(sts))
	for i, o := range order {
		s := sts[o]
		s.N = i + 1
		s.InReplyTo = newN[s.InReplyTo]
		md.Statuses[i] = s
	}
	for i := range boosts {
		boosts[i].Status = newN[boosts[i].Status]
	}
	for i := range favs {
		favs[i].Status = newN[favs[i].Status]
	}
	byAt := func(a, b MastodonReaction) int { return a.At.Compare(b.At) }
	slices.SortStableFunc(boosts, byAt)
	slices.SortStableFunc(favs, byAt)
	slices.SortStableFunc(follows, func(a, b MastodonFollow) int { return a.At.Compare(b.At) })
	md.Boosts, md.Favourites, md.Follows = boosts, favs, follows
}

// ---- Discourse ----

type dpost struct {
	topic int // index into topics
	post  DiscoursePost
}

func (g *gen) discourseActivity() {
	d := &g.c.Discourse
	var topics []DiscourseTopic
	var posts []dpost
	userOf := func(m *member) string {
		if m == nil || m.disc == 0 {
			return ""
		}
		return d.Users[m.disc-1].Username
	}
	var system, discobot string
	var staffUsers []string
	for _, m := range g.ms {
		switch {
		case m.svc == svcSystem:
			system = userOf(m)
		case m.svc == svcDiscobot:
			discobot = userOf(m)
		case m.kind == KindStaff && m.disc > 0 && m.svc == "":
			staffUsers = append(staffUsers, userOf(m))
		}
	}
	topic := func(t DiscourseTopic, body string) int {
		topics = append(topics, t)
		posts = append(posts, dpost{len(topics) - 1, DiscoursePost{User: t.User, Raw: body, CreatedAt: t.CreatedAt}})
		return len(topics) - 1
	}
	reply := func(ti int, user, raw string, at time.Time) {
		posts = append(posts, dpost{ti, DiscoursePost{User: user, Raw: raw, CreatedAt: at}})
	}
	welcome := -1
	if system != "" {
		welcome = topic(DiscourseTopic{Title: "Welcome to the Rollcall forum", User: system, CategoryID: catAnnouncements, Pinned: true, CreatedAt: g.start},
			"Welcome! This is the place to ask questions about Rollcall and share what you built.")
		for i, c := range d.Categories {
			topic(DiscourseTopic{Title: "About the " + c.Name + " category", User: system, CategoryID: c.ID, Pinned: true,
				CreatedAt: g.start.Add(time.Duration(i+1) * time.Minute)}, c.Description)
		}
	}
	// Release announcements by a maintainer.
	if len(staffUsers) > 0 && len(g.c.Repos) > 0 {
		for _, r := range g.c.Repos[0].Releases {
			t := r.PublishedAt.Add(time.Duration(30+g.r.IntN(600)) * time.Minute)
			if t.Before(g.now) {
				topic(DiscourseTopic{Title: "Rollcall " + r.TagName + " released", User: pick(g, staffUsers), CategoryID: catAnnouncements, CreatedAt: t},
					"Rollcall "+r.TagName+" is out. "+r.Body)
			}
		}
	}
	type actor struct {
		user string
		m    *member
		from time.Time
	}
	var actors []actor
	for _, m := range g.ms {
		if m.disc == 0 || m.svc != "" {
			continue
		}
		u := d.Users[m.disc-1]
		actors = append(actors, actor{u.Username, m, later(m.joined, u.CreatedAt)})
	}
	for _, a := range actors {
		for range g.poisson(socialKindRates[a.m.kind].topics) {
			var cat int64
			switch x := g.r.Float64(); {
			case x < 0.55:
				cat = catSupport
			case x < 0.8:
				cat = catIdeas
			default:
				cat = catShow
			}
			slug := map[int64]string{catSupport: "support", catIdeas: "ideas", catShow: "show-and-tell"}[cat]
			topic(DiscourseTopic{Title: g.fill(pick(g, discourseTitles[slug])), User: a.user, CategoryID: cat, CreatedAt: g.at(a.from, g.now)},
				"Hi all, "+strings.ToLower(g.fill(pick(g, issueTitles))))
		}
	}
	if discobot != "" && welcome >= 0 {
		for _, a := range actors {
			if (a.m.kind == KindNewcomer || a.m.kind == KindDriveBy) && g.r.IntN(4) == 0 {
				t := g.after(a.from, time.Hour)
				if t.Before(g.now) {
					reply(welcome, discobot, "Hi @"+a.user+"! 👋 Welcome to the forum.", t)
				}
			}
		}
	}
	// Topics people can answer: not the pinned system ones.
	var open []int
	for i, t := range topics {
		if !t.Pinned {
			open = append(open, i)
		}
	}
	if len(open) > 0 {
		for _, a := range actors {
			for range g.poisson(socialKindRates[a.m.kind].replies) {
				ti := open[g.r.IntN(len(open))]
				t := g.after(later(topics[ti].CreatedAt, a.from).Add(time.Minute), 5*24*time.Hour)
				if t.Before(g.now) {
					reply(ti, a.user, g.fill(pick(g, discourseReplies)), t)
				}
			}
		}
	}
	// Ensure a reply by someone other than the author exists in a support
	// topic (for replies and solutions).
	if len(staffUsers) > 0 {
		has := false
		for _, p := range posts {
			if t := topics[p.topic]; t.CategoryID == catSupport && !t.Pinned && p.post.User != t.User {
				has = true
				break
			}
		}
		if !has {
			asker := staffUsers[0]
			for _, a := range actors {
				if a.user != staffUsers[0] {
					asker = a.user
				}
			}
			t0 := g.now.Add(-10 * 24 * time.Hour)
			ti := topic(DiscourseTopic{Title: "Sync never finishes", User: asker, CategoryID: catSupport, CreatedAt: t0}, "It keeps going.")
			reply(ti, staffUsers[0], "Try a higher interval.", t0.Add(2*time.Hour))
		}
	}
	// Order posts and topics by time, number them.
	slices.SortStableFunc(posts, func(a, b dpost) int { return a.post.CreatedAt.Compare(b.post.CreatedAt) })
	topicID := make([]int64, len(topics))
	var nextTopic int64
	counts := make([]int, len(topics))
	d.Posts = make([]DiscoursePost, 0, len(posts))
	d.Topics = make([]DiscourseTopic, 0, len(topics))
	for i, p := range posts {
		pp := p.post
		pp.ID = int64(i + 1)
		counts[p.topic]++
		pp.PostNumber = counts[p.topic]
		if pp.PostNumber == 1 {
			nextTopic++
			topicID[p.topic] = nextTopic
			t := topics[p.topic]
			t.ID, t.FirstPostID = nextTopic, pp.ID
			d.Topics = append(d.Topics, t)
		} else if g.r.IntN(3) == 0 && pp.PostNumber > 2 {
			pp.ReplyToPostNumber = 2 + g.r.IntN(pp.PostNumber-2)
		}
		pp.TopicID = topicID[p.topic]
		d.Posts = append(d.Posts, pp)
	}
	// Solutions in the support category: the asker (or a maintainer)
	// accepts a reply by someone else.
	byTopic := map[int64][]int{}
	for i, p := range d.Posts {
		byTopic[p.TopicID] = append(byTopic[p.TopicID], i)
	}
	accept := func(t *DiscourseTopic, force bool) bool {
		if t.CategoryID != catSupport || t.Pinned {
			return false
		}
		var cands []int
		for _, pi := range byTopic[t.ID] {
			if p := d.Posts[pi]; p.PostNumber > 1 && p.User != t.User && p.User != system && p.User != discobot {
				cands = append(cands, pi)
			}
		}
		if len(cands) == 0 || (!force && g.r.Float64() >= 0.55) {
			return false
		}
		p := d.Posts[pick(g, cands)]
		at := g.clamp(g.after(p.CreatedAt.Add(time.Minute), 2*24*time.Hour))
		by := t.User
		if g.r.IntN(5) == 0 && len(staffUsers) > 0 {
			by = pick(g, staffUsers)
		}
		t.AcceptedPostID, t.AcceptedBy, t.AcceptedAt = p.ID, by, at
		return true
	}
	solved := false
	for i := range d.Topics {
		solved = accept(&d.Topics[i], false) || solved
	}
	for i := range d.Topics {
		if solved {
			break
		}
		solved = accept(&d.Topics[i], true)
	}
	// Likes of posts by others.
	liked := map[[2]any]bool{}
	if len(d.Posts) > 0 {
		for _, a := range actors {
			for range g.poisson(socialKindRates[a.m.kind].likes) {
				p := d.Posts[g.r.IntN(len(d.Posts))]
				if p.User == a.user || liked[[2]any{p.ID, a.user}] {
					continue
				}
				at := g.after(later(p.CreatedAt, a.from).Add(time.Minute), 2*24*time.Hour)
				if at.After(g.now) {
					continue
				}
				liked[[2]any{p.ID, a.user}] = true
				d.Likes = append(d.Likes, DiscourseLike{PostID: p.ID, User: a.user, CreatedAt: at})
			}
		}
		if len(d.Likes) == 0 && len(staffUsers) > 0 {
			for _, p := range d.Posts {
				if p.User != staffUsers[0] {
					d.Likes = append(d.Likes, DiscourseLike{PostID: p.ID, User: staffUsers[0], CreatedAt: g.clamp(p.CreatedAt.Add(time.Minute))})
					break
				}
			}
		}
	}
	slices.SortStableFunc(d.Likes, func(a, b DiscourseLike) int { return a.CreatedAt.Compare(b.CreatedAt) })
}

// clamp returns t, or now if t is later.
func (g *gen) clamp(t time.Time) time.Time {
	if t.After(g.now) {
		return g.now
	}
	return t
}

// ---- Stack Overflow ----

func (g *gen) stackOverflowActivity() {
	so := &g.c.StackOverflow
	type actor struct {
		id   int64
		m    *member
		from time.Time
	}
	var actors []actor
	for _, m := range g.ms {
		if m.so > 0 {
			u := so.Users[m.so-1]
			actors = append(actors, actor{u.UserID, m, later(m.joined, u.CreationDate)})
		}
	}
	if len(actors) == 0 {
		return
	}
	// Temporary post numbers: questions and answers in one list.
	type post struct {
		q        bool
		question int // index of the question (answers)
		owner    int64
		at       time.Time
		title    string
		tags     []string
		accepted time.Time // answers: zero unless accepted
	}
	var ps []post
	var qs []int
	for _, a := range actors {
		for range g.poisson(socialKindRates[a.m.kind].questions) {
			tags := []string{soTag}
			if g.r.IntN(3) > 0 {
				tags = append(tags, pick(g, soExtraTags))
			}
			ps = append(ps, post{q: true, owner: a.id, at: g.at(a.from, g.now), title: g.fill(pick(g, soTitles)), tags: tags})
			qs = append(qs, len(ps)-1)
		}
	}
	if len(qs) == 0 {
		a := actors[len(actors)-1]
		ps = append(ps, post{q: true, owner: a.id, at: g.at(a.from, g.now.Add(-48*time.Hour)), title: "rollcall: first steps", tags: []string{soTag}})
		qs = append(qs, len(ps)-1)
	}
	answered := map[[2]int64]bool{}
	answer := func(a actor, qi int) bool {
		q := ps[qi]
		if q.owner == a.id || answered[[2]int64{int64(qi), a.id}] {
			return false
		}
		t := g.after(later(q.at, a.from).Add(5*time.Minute), 2*24*time.Hour)
		if t.After(g.now) {
			return false
		}
		answered[[2]int64{int64(qi), a.id}] = true
		ps = append(ps, post{question: qi, owner: a.id, at: t})
		return true
	}
	for _, a := range actors {
		for range g.poisson(socialKindRates[a.m.kind].answers) {
			answer(a, qs[g.r.IntN(len(qs))])
		}
	}
	// At least one answer by someone other than the asker.
	if len(ps) == len(qs) {
		for _, a := range actors {
			if answer(a, qs[0]) {
				break
			}
		}
	}
	// Acceptance.
	answersOf := map[int][]int{}
	for i, p := range ps {
		if !p.q {
			answersOf[p.question] = append(answersOf[p.question], i)
		}
	}
	accepted := 0
	for _, qi := range qs {
		as := answersOf[qi]
		if len(as) == 0 || g.r.Float64() >= 0.55 {
			continue
		}
		ai := pick(g, as)
		ps[ai].accepted = g.clamp(g.after(ps[ai].at.Add(time.Minute), 24*time.Hour))
		accepted++
	}
	if accepted == 0 {
		for _, qi := range qs {
			if as := answersOf[qi]; len(as) > 0 {
				ps[as[0]].accepted = g.clamp(ps[as[0]].at.Add(time.Minute))
				break
			}
		}
	}
	// Number posts in time order.
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return ps[a].at.Compare(ps[b].at) })
	ids := make([]int64, len(ps))
	next := int64(78_000_000)
	for _, o := range order {
		next += 1 + int64(g.r.IntN(4000))
		ids[o] = next
	}
	rep := map[int64]int{}
	for _, o := range order {
		p := ps[o]
		if p.q {
			q := SOQuestion{QuestionID: ids[o], Title: p.title, Tags: p.tags, OwnerID: p.owner, CreationDate: p.at, Score: max(0, g.poisson(1.5)-1)}
			for _, ai := range answersOf[o] {
				if !ps[ai].accepted.IsZero() {
					q.AcceptedAnswerID = ids[ai]
					rep[p.owner] += 2
				}
			}
			rep[p.owner] += 5 * q.Score
			so.Questions = append(so.Questions, q)
			continue
		}
		a := SOAnswer{AnswerID: ids[o], QuestionID: ids[p.question], OwnerID: p.owner, CreationDate: p.at,
			IsAccepted: !p.accepted.IsZero(), AcceptedAt: p.accepted, Score: g.poisson(1.2)}
		rep[p.owner] += 10 * a.Score
		if a.IsAccepted {
			rep[p.owner] += 15
		}
		so.Answers = append(so.Answers, a)
	}
	// Comments on questions and answers.
	type target struct {
		id int64
		at time.Time
	}
	var targets []target
	for _, q := range so.Questions {
		targets = append(targets, target{q.QuestionID, q.CreationDate})
	}
	for _, a := range so.Answers {
		targets = append(targets, target{a.AnswerID, a.CreationDate})
	}
	var comments []SOComment
	for _, a := range actors {
		for range g.poisson(socialKindRates[a.m.kind].comments) {
			tg := targets[g.r.IntN(len(targets))]
			t := g.after(later(tg.at, a.from).Add(time.Minute), 24*time.Hour)
			if t.Before(g.now) {
				comments = append(comments, SOComment{PostID: tg.id, OwnerID: a.id, CreationDate: t, Score: g.poisson(0.7)})
			}
		}
	}
	if len(comments) == 0 {
		tg := targets[0]
		comments = append(comments, SOComment{PostID: tg.id, OwnerID: actors[0].id, CreationDate: g.clamp(tg.at.Add(time.Minute))})
	}
	slices.SortStableFunc(comments, func(a, b SOComment) int { return a.CreationDate.Compare(b.CreationDate) })
	cid := int64(137_000_000)
	for i := range comments {
		cid += 1 + int64(g.r.IntN(9000))
		comments[i].CommentID = cid
	}
	so.Comments = comments
	for i := range so.Users {
		u := &so.Users[i]
		u.Reputation = max(1, 1+rep[u.UserID]+g.r.IntN(50))
	}
}
