package community

import (
	"fmt"
	"html"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// LoadAll loads the community into each of the fakes given; a nil server is
// skipped. The Mastodon fake must serve c.Mastodon.Instance (see
// LoadMastodon).
func (c *Community) LoadAll(gh *githubtest.Server, ma *mastodontest.Server, di *discoursetest.Server, so *stackoverflowtest.Server) error {
	if gh != nil {
		if err := c.LoadGitHub(gh); err != nil {
			return err
		}
	}
	if ma != nil {
		if err := c.LoadMastodon(ma); err != nil {
			return err
		}
	}
	if di != nil {
		if err := c.LoadDiscourse(di); err != nil {
			return err
		}
	}
	if so != nil {
		if err := c.LoadStackOverflow(so); err != nil {
			return err
		}
	}
	return nil
}

// LoadMastodon adds the community's Mastodon accounts, statuses, boosts,
// favourites and follows to s, which must serve c.Mastodon.Instance
// (mastodontest.WithDomain) so that profile URLs match. Loading twice fails.
func (c *Community) LoadMastodon(s *mastodontest.Server) error {
	md := c.Mastodon
	if !strings.EqualFold(s.Domain(), md.Instance) {
		return fmt.Errorf("community: load mastodon: the fake serves %s, the community lives on %s (use mastodontest.WithDomain)", s.Domain(), md.Instance)
	}
	for _, a := range md.Users {
		if _, ok := s.Account(a.Acct()); ok {
			return fmt.Errorf("community: load mastodon: account %s already exists: server not empty", a.Acct())
		}
		fa := mastodontest.Account{
			Username: a.Username, Domain: a.Domain, DisplayName: a.DisplayName,
			Note: paragraph(a.Note, md.Instance), Bot: a.Bot, CreatedAt: a.CreatedAt,
		}
		for _, f := range a.Fields {
			fa.Fields = append(fa.Fields, mastodontest.Field{Name: f.Name, Value: fieldHTML(f.Value), VerifiedAt: f.VerifiedAt})
		}
		if _, err := s.AddAccount(fa); err != nil {
			return fmt.Errorf("community: load mastodon: %w", err)
		}
	}
	ids := make([]string, len(md.Statuses)+1)
	for _, st := range md.Statuses {
		got, err := s.AddStatus(mastodontest.Status{
			Account: st.Account, Content: paragraph(st.Content, md.Instance), Tags: st.Tags, Mentions: st.Mentions,
			InReplyToID: ids[st.InReplyTo], CreatedAt: st.CreatedAt,
		})
		if err != nil {
			return fmt.Errorf("community: load mastodon: status %d: %w", st.N, err)
		}
		ids[st.N] = got.ID
	}
	for _, b := range md.Boosts {
		if _, err := s.Boost(b.Account, ids[b.Status], b.At); err != nil {
			return fmt.Errorf("community: load mastodon: %w", err)
		}
	}
	for _, f := range md.Favourites {
		if err := s.Favourite(f.Account, ids[f.Status], f.At); err != nil {
			return fmt.Errorf("community: load mastodon: %w", err)
		}
	}
	for _, f := range md.PeerFavourites {
		if err := s.Favourite(f.Account, ids[f.Status], f.At); err != nil {
			return fmt.Errorf("community: load mastodon: %w", err)
		}
	}
	for _, f := range md.Follows {
		if err := s.Follow(f.Account, f.Target, f.At); err != nil {
			return fmt.Errorf("community: load mastodon: %w", err)
		}
	}
	return nil
}

// fieldHTML renders a profile field value as Mastodon does: links as
// anchors with rel="me", text escaped.
func fieldHTML(v string) string {
	rest, ok := strings.CutPrefix(v, "https://")
	if !ok {
		return html.EscapeString(v)
	}
	return `<a href="` + html.EscapeString(v) + `" target="_blank" rel="nofollow noopener noreferrer me" translate="no"><span class="invisible">https://</span><span class="">` +
		html.EscapeString(rest) + `</span><span class="invisible"></span></a>`
}

// paragraph renders plain text as a Mastodon HTML paragraph, with
// "@user@domain" mentions and "#tag" hashtags as links.
func paragraph(text, instance string) string {
	if text == "" {
		return ""
	}
	words := strings.Split(text, " ")
	for i, w := range words {
		core := strings.TrimRight(w, ".,!?:;)")
		tail := w[len(core):]
		switch {
		case strings.HasPrefix(core, "#") && len(core) > 1:
			tag := core[1:]
			words[i] = `<a href="https://` + instance + `/tags/` + html.EscapeString(strings.ToLower(tag)) + `" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(tag) + `</span></a>` + html.EscapeString(tail)
		case strings.HasPrefix(core, "@") && strings.Count(core, "@") == 2:
			user, domain, _ := strings.Cut(core[1:], "@")
			words[i] = `<span class="h-card" translate="no"><a href="` + html.EscapeString(MastodonURL(user, domain)) + `" class="u-url mention">@<span>` + html.EscapeString(user) + `</span></a></span>` + html.EscapeString(tail)
		default:
			words[i] = html.EscapeString(w)
		}
	}
	return "<p>" + strings.Join(words, " ") + "</p>"
}

// LoadDiscourse adds the community's forum (categories, users, topics,
// posts, likes and solutions) to s, which must be empty: post ids are
// checked against the fake's numbering.
func (c *Community) LoadDiscourse(s *discoursetest.Server) error {
	d := c.Discourse
	for _, cat := range d.Categories {
		s.AddCategory(discoursetest.Category{ID: cat.ID, Name: cat.Name, Slug: cat.Slug, Description: cat.Description})
	}
	for _, u := range d.Users {
		if _, ok := s.User(u.Username); ok {
			return fmt.Errorf("community: load discourse: user %s already exists: server not empty", u.Username)
		}
		fu := discoursetest.User{
			ID: u.ID, Username: u.Username, Name: u.Name, TrustLevel: u.TrustLevel, Admin: u.Admin, Moderator: u.Moderator,
			Website: u.Website, Location: u.Location, Bio: u.Bio, Email: u.Email, CreatedAt: u.CreatedAt,
		}
		if u.GitHub != "" {
			fu.Associated = []discoursetest.AssociatedAccount{{Name: "github", Description: u.GitHub}}
		}
		s.AddUser(fu)
	}
	topics := make(map[int64]DiscourseTopic, len(d.Topics))
	for _, t := range d.Topics {
		topics[t.ID] = t
	}
	for _, p := range d.Posts {
		if p.PostNumber == 1 {
			t := topics[p.TopicID]
			got, err := s.AddTopic(discoursetest.Topic{ID: t.ID, Title: t.Title, User: t.User, CategoryID: t.CategoryID, Body: p.Raw, Pinned: t.Pinned, CreatedAt: t.CreatedAt})
			if err != nil {
				return fmt.Errorf("community: load discourse: topic %d: %w", t.ID, err)
			}
			if got.FirstPostID != p.ID {
				return fmt.Errorf("community: load discourse: topic %d: first post numbered %d, want %d: server not empty", t.ID, got.FirstPostID, p.ID)
			}
			continue
		}
		got, err := s.AddPost(discoursetest.Post{ID: p.ID, TopicID: p.TopicID, User: p.User, Raw: p.Raw, ReplyToPostNumber: p.ReplyToPostNumber, CreatedAt: p.CreatedAt})
		if err != nil {
			return fmt.Errorf("community: load discourse: post %d: %w", p.ID, err)
		}
		if got.PostNumber != p.PostNumber {
			return fmt.Errorf("community: load discourse: post %d numbered %d in its topic, want %d", p.ID, got.PostNumber, p.PostNumber)
		}
	}
	for _, l := range d.Likes {
		if err := s.AddLike(l.PostID, l.User, l.CreatedAt); err != nil {
			return fmt.Errorf("community: load discourse: %w", err)
		}
	}
	for _, t := range d.Topics {
		if t.AcceptedPostID != 0 {
			if err := s.AcceptSolution(t.ID, t.AcceptedPostID, t.AcceptedBy, t.AcceptedAt); err != nil {
				return fmt.Errorf("community: load discourse: %w", err)
			}
		}
	}
	return nil
}

// LoadStackOverflow adds the community's Stack Overflow users, questions,
// answers (with acceptances) and comments to s. Loading twice fails.
func (c *Community) LoadStackOverflow(s *stackoverflowtest.Server) error {
	so := c.StackOverflow
	for _, q := range so.Questions {
		if _, ok := s.Question(q.QuestionID); ok {
			return fmt.Errorf("community: load stackoverflow: question %d already exists: server not empty", q.QuestionID)
		}
	}
	for _, u := range so.Users {
		s.AddUser(stackoverflowtest.User{
			UserID: u.UserID, AccountID: u.AccountID, DisplayName: u.DisplayName, Link: u.Link,
			WebsiteURL: u.WebsiteURL, Location: u.Location, Reputation: u.Reputation, CreationDate: u.CreationDate,
		})
	}
	for _, q := range so.Questions {
		if _, err := s.AddQuestion(stackoverflowtest.Question{
			QuestionID: q.QuestionID, Title: q.Title, Tags: q.Tags, OwnerID: q.OwnerID, CreationDate: q.CreationDate, Score: q.Score,
		}); err != nil {
			return fmt.Errorf("community: load stackoverflow: question %d: %w", q.QuestionID, err)
		}
	}
	for _, a := range so.Answers {
		if _, err := s.AddAnswer(stackoverflowtest.Answer{
			AnswerID: a.AnswerID, QuestionID: a.QuestionID, OwnerID: a.OwnerID, CreationDate: a.CreationDate, Score: a.Score,
		}); err != nil {
			return fmt.Errorf("community: load stackoverflow: answer %d: %w", a.AnswerID, err)
		}
	}
	for _, a := range so.Answers {
		if a.IsAccepted {
			if err := s.AcceptAnswer(a.AnswerID, a.AcceptedAt); err != nil {
				return fmt.Errorf("community: load stackoverflow: accept %d: %w", a.AnswerID, err)
			}
		}
	}
	for _, cm := range so.Comments {
		if _, err := s.AddComment(stackoverflowtest.Comment{
			CommentID: cm.CommentID, PostID: cm.PostID, OwnerID: cm.OwnerID, CreationDate: cm.CreationDate, Score: cm.Score,
		}); err != nil {
			return fmt.Errorf("community: load stackoverflow: comment %d: %w", cm.CommentID, err)
		}
	}
	return nil
}
