package frozen

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Activity types the connector emits.
const (
	// TypePost is a status using a tracked hashtag.
	TypePost = "post"
	// TypeMention is a status mentioning a tracked account.
	TypeMention = "mention"
	// TypeBoost is a boost (reblog) of a tracked account's status.
	TypeBoost = "boost"
	// TypeFavourite is a favourite of a tracked account's status.
	TypeFavourite = "favourite"
	// TypeFollow is a new follower of a tracked account.
	TypeFollow = "follow"
)

// field is an Account's profile metadata entry.
type field struct {
	Name       string     `json:"name"`
	Value      string     `json:"value"`
	VerifiedAt *time.Time `json:"verified_at"`
}

// account is Mastodon's Account entity (the fields we use).
type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	Note        string `json:"note"`
	URL         string `json:"url"`
	URI         string `json:"uri"`
	Avatar      string `json:"avatar"`
	Bot         bool   `json:"bot"`
	// Roles are the account's highlighted roles on its server (Mastodon
	// 4.x; local accounts only). They say who runs the server, not who
	// works for the community: they are read, never mapped to Staff (see
	// builder.addAccount).
	Roles          []role  `json:"roles"`
	FollowersCount int     `json:"followers_count"`
	CreatedAt      mtime   `json:"created_at"`
	Fields         []field `json:"fields"`
}

// role is an Account's roles[] entry: {id, name, color}.
type role struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

// mention is Status.mentions[]: a reference, not a full Account.
type mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Acct     string `json:"acct"`
	URL      string `json:"url"`
}

type tag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// status is Mastodon's Status entity (the fields we use).
type status struct {
	ID              string    `json:"id"`
	CreatedAt       mtime     `json:"created_at"`
	InReplyToID     *string   `json:"in_reply_to_id"`
	URL             *string   `json:"url"`
	URI             string    `json:"uri"`
	Content         string    `json:"content"`
	Visibility      string    `json:"visibility"`
	Account         account   `json:"account"`
	Reblog          *status   `json:"reblog"`
	Mentions        []mention `json:"mentions"`
	Tags            []tag     `json:"tags"`
	RepliesCount    int       `json:"replies_count"`
	ReblogsCount    int       `json:"reblogs_count"`
	FavouritesCount int       `json:"favourites_count"`
}

// notification is Mastodon's Notification entity.
type notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	CreatedAt mtime   `json:"created_at"`
	Account   account `json:"account"`
	Status    *status `json:"status"`
}

// context is the answer of /statuses/:id/context.
type statusContext struct {
	Ancestors   []status `json:"ancestors"`
	Descendants []status `json:"descendants"`
}

// mtime is a Mastodon timestamp; it accepts null and an empty string.
type mtime struct{ time.Time }

func (t *mtime) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		return nil
	}
	v, err := time.Parse(`"`+time.RFC3339Nano+`"`, s)
	if err != nil {
		return fmt.Errorf("parse time %s: %w", s, err)
	}
	t.Time = v.UTC()
	return nil
}

// translator turns Mastodon entities into the shared model. instance is the
// host of the polled server.
type translator struct{ instance string }

// homeOf returns the canonical "username@domain" (lower-cased) of an account
// and its home domain: the domain of acct if it has one, else the host of
// its url, else the polled server.
func (tr translator) homeOf(username, acct, rawURL string) (canon, home string) {
	if u, d, ok := strings.Cut(acct, "@"); ok && d != "" {
		return strings.ToLower(u + "@" + d), strings.ToLower(d)
	}
	home = tr.instance
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		home = strings.ToLower(u.Hostname())
	}
	if username == "" {
		username = acct
	}
	return strings.ToLower(username + "@" + home), home
}

// ref returns the account's key.
func (tr translator) ref(a account) connectors.AccountRef {
	canon, home := tr.homeOf(a.Username, a.Acct, a.URL)
	if a.Username == "" && a.Acct == "" {
		return connectors.AccountRef{}
	}
	return connectors.AccountRef{Platform: connectors.PlatformMastodon, Instance: home, ExternalID: canon}
}

// account translates a full Account entity, read at fetched.
func (tr translator) account(a account, fetched time.Time) connectors.Account {
	ref := tr.ref(a)
	out := connectors.Account{
		AccountRef: ref, Name: a.DisplayName, URL: a.URL, AvatarURL: a.Avatar,
		Bot: a.Bot, Followers: a.FollowersCount, ProfileFetchedAt: fetched.UTC(),
	}
	if ref.IsZero() {
		return out
	}
	user, _, _ := strings.Cut(ref.ExternalID, "@")
	if a.Username != "" {
		user = a.Username
	}
	out.Username = user + "@" + ref.Instance
	add := func(list *[]string, l string) {
		if l != "" && !slicesContains(*list, l) {
			*list = append(*list, l)
		}
	}
	for _, f := range a.Fields {
		for _, l := range links(f.Value) {
			add(&out.Links, l)
			if f.VerifiedAt != nil && !f.VerifiedAt.IsZero() {
				add(&out.VerifiedLinks, l)
			}
		}
	}
	for _, l := range links(a.Note) {
		add(&out.Links, l)
	}
	return out
}

var (
	anchorRE = regexp.MustCompile(`(?is)<a\s[^>]*>`)
	attrRE   = regexp.MustCompile(`(?is)\b(href|class|rel)\s*=\s*"([^"]*)"`)
	urlRE    = regexp.MustCompile(`https?://[^\s<>"]+`)
)

// links returns the URLs an HTML profile value or note links to, leaving
// out mentions and hashtags. A value without an anchor that is a bare URL
// counts too.
func links(h string) []string {
	var out []string
	anchors := anchorRE.FindAllString(h, -1)
	for _, a := range anchors {
		var href, class, rel string
		for _, m := range attrRE.FindAllStringSubmatch(a, -1) {
			switch strings.ToLower(m[1]) {
			case "href":
				href = html.UnescapeString(m[2])
			case "class":
				class = m[2]
			case "rel":
				rel = m[2]
			}
		}
		if href == "" || strings.Contains(class, "mention") || strings.Contains(class, "hashtag") || strings.Contains(rel, "tag") {
			continue
		}
		if u, err := url.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			out = append(out, href)
		}
	}
	if len(anchors) == 0 {
		out = append(out, urlRE.FindAllString(html.UnescapeString(h), -1)...)
	}
	return out
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// title is a short plain-text rendering of a status's HTML content.
func title(content string) string {
	s := strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(strings.ReplaceAll(content, "</p>", " "), ""))), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

func (tr translator) key(typ, id string) string {
	return connectors.PlatformMastodon + "/" + tr.instance + "/" + typ + "/" + id
}

func statusURL(s status) string {
	if s.URL != nil && *s.URL != "" {
		return *s.URL
	}
	return s.URI
}

// post is a status that used the tracked hashtag tagName.
func (tr translator) post(s status, tagName string) connectors.Activity {
	return connectors.Activity{
		Key: tr.key(TypePost, s.ID), Platform: connectors.PlatformMastodon, Instance: tr.instance,
		Type: TypePost, OccurredAt: s.CreatedAt.Time, Actor: tr.ref(s.Account),
		URL: statusURL(s), Title: title(s.Content), Channel: "#" + strings.ToLower(tagName),
		Reactions: statusReactions(s), Text: connectors.Excerpt(s.Content), ParentKey: tr.replyParent(s),
	}
}

// replyParent is the key of the status s answers (in_reply_to_id), named
// as a post of this instance, or "" when s answers none. The key is an
// activity when that status was collected as a post (a tracked hashtag);
// otherwise it still names the status, for "who answered whom".
func (tr translator) replyParent(s status) string {
	if s.InReplyToID == nil || *s.InReplyToID == "" {
		return ""
	}
	return tr.key(TypePost, *s.InReplyToID)
}

// statusReactions are the favourites and boosts counts of s.
func statusReactions(s status) *connectors.Reactions {
	return connectors.ReactionsOf(map[string]int{connectors.ReactionFavourite: s.FavouritesCount, connectors.ReactionReblog: s.ReblogsCount})
}

// mentionOf is status s mentioning the tracked account tracked (canonical
// acct), at time at. The key does not depend on the path it was found by.
func (tr translator) mentionOf(s status, tracked string, at time.Time) connectors.Activity {
	return connectors.Activity{
		Key: tr.key(TypeMention, s.ID+":"+tracked), Platform: connectors.PlatformMastodon, Instance: tr.instance,
		Type: TypeMention, OccurredAt: at, Actor: tr.ref(s.Account),
		URL: statusURL(s), Title: title(s.Content), Channel: "@" + tracked,
		Reactions: statusReactions(s), Text: connectors.Excerpt(s.Content), ParentKey: tr.replyParent(s),
	}
}

// reaction is a boost or favourite of the tracked account's status s by a.
func (tr translator) reaction(typ string, s status, tracked string, a account, at time.Time) connectors.Activity {
	actor := tr.ref(a)
	return connectors.Activity{
		Key: tr.key(typ, s.ID+":"+actor.ExternalID), Platform: connectors.PlatformMastodon, Instance: tr.instance,
		Type: typ, OccurredAt: at, Actor: actor, URL: statusURL(s), Title: title(s.Content), Channel: "@" + tracked,
		ParentKey: tr.key(TypePost, s.ID),
	}
}

// follow is a follows the tracked account, at time at.
func (tr translator) follow(tracked, trackedURL string, a account, at time.Time) connectors.Activity {
	actor := tr.ref(a)
	return connectors.Activity{
		Key: tr.key(TypeFollow, tracked+":"+actor.ExternalID), Platform: connectors.PlatformMastodon, Instance: tr.instance,
		Type: TypeFollow, OccurredAt: at, Actor: actor, URL: trackedURL, Channel: "@" + tracked,
	}
}

// mentions reports which tracked accounts (canonical accts) s mentions.
func (tr translator) mentions(s status, tracked map[string]bool) []string {
	var out []string
	for _, m := range s.Mentions {
		canon, _ := tr.homeOf(m.Username, m.Acct, m.URL)
		if tracked[canon] && !slicesContains(out, canon) {
			out = append(out, canon)
		}
	}
	return out
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
