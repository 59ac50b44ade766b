package discourse

import (
	"encoding/json"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Activity types the connector emits.
const (
	TypeTopicCreated     = "topic_created"
	TypePostCreated      = "post_created"
	TypeSolutionAccepted = "solution_accepted"
	TypeLike             = "like"
)

// Wire types: the fields of Discourse's JSON the connector reads. Unknown
// fields are ignored; fields Discourse sends as null decode to zero values.

type basicUser struct {
	staffFlags
	ID             int64  `json:"id"`
	Username       string `json:"username"`
	Name           string `json:"name"`
	AvatarTemplate string `json:"avatar_template"`
}

type poster struct {
	Extras      string `json:"extras"`
	Description string `json:"description"`
	UserID      int64  `json:"user_id"`
}

type listTopic struct {
	ID                int64     `json:"id"`
	Title             string    `json:"title"`
	Slug              string    `json:"slug"`
	CreatedAt         time.Time `json:"created_at"`
	LastPostedAt      time.Time `json:"last_posted_at"`
	Pinned            bool      `json:"pinned"`
	CategoryID        int64     `json:"category_id"`
	Archetype         string    `json:"archetype"`
	HasAcceptedAnswer bool      `json:"has_accepted_answer"`
	Posters           []poster  `json:"posters"`
}

type topicListResponse struct {
	Users     []basicUser `json:"users"`
	TopicList *struct {
		MoreTopicsURL string      `json:"more_topics_url"`
		Topics        []listTopic `json:"topics"`
	} `json:"topic_list"`
}

type actionSummary struct {
	ID    int `json:"id"`
	Count int `json:"count"`
}

type post struct {
	staffFlags
	ID                int64           `json:"id"`
	Name              string          `json:"name"`
	Username          string          `json:"username"`
	AvatarTemplate    string          `json:"avatar_template"`
	CreatedAt         time.Time       `json:"created_at"`
	PostNumber        int             `json:"post_number"`
	PostType          int             `json:"post_type"`
	ReplyToPostNumber json.RawMessage `json:"reply_to_post_number"`
	TopicID           int64           `json:"topic_id"`
	TopicSlug         string          `json:"topic_slug"`
	TopicTitle        string          `json:"topic_title"`
	CategoryID        int64           `json:"category_id"`
	UserID            int64           `json:"user_id"`
	LikeCount         int             `json:"like_count"`
	Cooked            string          `json:"cooked"`
	ActionsSummary    []actionSummary `json:"actions_summary"`
	AcceptedAnswer    bool            `json:"accepted_answer"`
}

// likes is the post's like count as the listing reports it.
func (p post) likes() int {
	for _, a := range p.ActionsSummary {
		if a.ID == likeActionType {
			return max(a.Count, p.LikeCount)
		}
	}
	return p.LikeCount
}

type latestPostsResponse struct {
	LatestPosts *[]post `json:"latest_posts"`
}

type topicView struct {
	ID           int64     `json:"id"`
	Title        string    `json:"title"`
	Slug         string    `json:"slug"`
	CategoryID   int64     `json:"category_id"`
	CreatedAt    time.Time `json:"created_at"`
	LastPostedAt time.Time `json:"last_posted_at"`
	PostStream   struct {
		Posts  []post  `json:"posts"`
		Stream []int64 `json:"stream"`
	} `json:"post_stream"`
	Details struct {
		CreatedBy    *basicUser  `json:"created_by"`
		Participants []basicUser `json:"participants"`
	} `json:"details"`
	HasAcceptedAnswer bool            `json:"has_accepted_answer"`
	AcceptedAnswer    *acceptedAnswer `json:"accepted_answer"`
}

type acceptedAnswer struct {
	PostNumber       int    `json:"post_number"`
	Username         string `json:"username"`
	AccepterUsername string `json:"accepter_username"`
}

type postActionUsersResponse struct {
	Users *[]basicUser `json:"post_action_users"`
	Total int          `json:"total_rows_post_action_users"`
}

type associatedAccount struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// UID is sent by some versions and plugins alongside description.
	UID string `json:"uid"`
}

type profile struct {
	staffFlags
	ID                 int64               `json:"id"`
	Username           string              `json:"username"`
	Name               string              `json:"name"`
	AvatarTemplate     string              `json:"avatar_template"`
	Website            string              `json:"website"`
	UserFields         map[string]any      `json:"user_fields"`
	Email              string              `json:"email"`
	SecondaryEmails    []string            `json:"secondary_emails"`
	AssociatedAccounts []associatedAccount `json:"associated_accounts"`
}

type profileResponse struct {
	User *profile `json:"user"`
}

type emailsResponse struct {
	Email              string              `json:"email"`
	SecondaryEmails    []string            `json:"secondary_emails"`
	AssociatedAccounts []associatedAccount `json:"associated_accounts"`
}

type sessionResponse struct {
	CurrentUser *struct {
		ID        int64  `json:"id"`
		Username  string `json:"username"`
		Admin     bool   `json:"admin"`
		Moderator bool   `json:"moderator"`
		Staff     bool   `json:"staff"`
	} `json:"current_user"`
}

type categoriesResponse struct {
	CategoryList *struct {
		Categories []struct {
			ID               int64  `json:"id"`
			Slug             string `json:"slug"`
			ParentCategoryID int64  `json:"parent_category_id"`
		} `json:"categories"`
	} `json:"category_list"`
}

// likeActionType is Discourse's post action type of a like.
const likeActionType = 2

// translator turns Discourse objects into the shared model for one forum.
type translator struct {
	instance string // host, used in keys
	base     string // forum URL without a trailing slash
}

func (tr translator) ref(id int64) connectors.AccountRef {
	return connectors.AccountRef{Platform: connectors.PlatformDiscourse, Instance: tr.instance, ExternalID: strconv.FormatInt(id, 10)}
}

func (tr translator) key(typ, id string) string {
	return connectors.PlatformDiscourse + "/" + tr.instance + "/" + typ + "/" + id
}

func (tr translator) topicKey(id int64) string {
	return tr.key(TypeTopicCreated, strconv.FormatInt(id, 10))
}

func (tr translator) postKey(id int64) string {
	return tr.key(TypePostCreated, strconv.FormatInt(id, 10))
}

func (tr translator) userURL(username string) string {
	return tr.base + "/u/" + url.PathEscape(username)
}

func (tr translator) topicURL(slug string, id int64) string {
	if slug == "" {
		slug = "-"
	}
	return tr.base + "/t/" + slug + "/" + strconv.FormatInt(id, 10)
}

func (tr translator) postURL(slug string, topic int64, number int) string {
	return tr.topicURL(slug, topic) + "/" + strconv.Itoa(number)
}

// avatar expands an avatar_template ("/letter_avatar/x/{size}/2.png",
// "//gravatar.com/...{size}") into an absolute URL.
func (tr translator) avatar(tmpl string) string {
	if tmpl == "" {
		return ""
	}
	s := strings.ReplaceAll(tmpl, "{size}", "240")
	switch {
	case strings.HasPrefix(s, "//"):
		return "https:" + s
	case strings.HasPrefix(s, "/"):
		return tr.base + s
	}
	return s
}

func channel(category int64) string {
	if category == 0 {
		return ""
	}
	return "c/" + strconv.FormatInt(category, 10)
}

// account is a reference to a user seen inside another object: no profile.
// System and other negative-id users, and id 0, yield false.
func (tr translator) account(u basicUser) (connectors.Account, bool) {
	if u.ID <= 0 || u.Username == "" {
		return connectors.Account{}, false
	}
	return connectors.Account{
		AccountRef: tr.ref(u.ID),
		Username:   u.Username,
		Name:       u.Name,
		URL:        tr.userURL(u.Username),
		AvatarURL:  tr.avatar(u.AvatarTemplate),
		Staff:      u.staff(),
	}, true
}

// topicActivity is the topic_created activity of a listed topic.
func (tr translator) topicActivity(t listTopic, author int64) connectors.Activity {
	return connectors.Activity{
		Key:        tr.topicKey(t.ID),
		Platform:   connectors.PlatformDiscourse,
		Instance:   tr.instance,
		Type:       TypeTopicCreated,
		OccurredAt: t.CreatedAt.UTC(),
		Actor:      tr.ref(author),
		URL:        tr.topicURL(t.Slug, t.ID),
		Title:      t.Title,
		Channel:    channel(t.CategoryID),
	}
}

// listedCreator returns the author of a listed topic, read from structure:
// Discourse's TopicPostersSummary puts the topic's creator first in posters
// whenever the creator's account exists, and serves that poster's user in
// the list's users. The descriptions ("Original Poster", ...) are display
// text translated into the site's language and are never read. It reports
// false when posters is empty or its first user is not in users.
func listedCreator(t listTopic, users map[int64]basicUser) (basicUser, bool) {
	if len(t.Posters) == 0 {
		return basicUser{}, false
	}
	u, ok := users[t.Posters[0].UserID]
	if !ok || u.ID == 0 || u.Username == "" {
		return basicUser{}, false
	}
	return u, true
}

// postAuthor is the user a post names as its author; false when the post
// names none (its account is gone).
func postAuthor(p post) (basicUser, bool) {
	if p.UserID == 0 || p.Username == "" {
		return basicUser{}, false
	}
	return basicUser{ID: p.UserID, Username: p.Username, Name: p.Name, AvatarTemplate: p.AvatarTemplate, staffFlags: p.staffFlags}, true
}

// pendingTopic is a listed topic whose list entry named no author, kept in
// the cursor until the first post or the topic view names one.
type pendingTopic struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title,omitempty"`
	Slug       string    `json:"slug,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	CategoryID int64     `json:"category_id,omitempty"`
}

func pendingOf(t listTopic) pendingTopic {
	return pendingTopic{ID: t.ID, Title: t.Title, Slug: t.Slug, CreatedAt: t.CreatedAt, CategoryID: t.CategoryID}
}

func (p pendingTopic) listTopic() listTopic {
	return listTopic{ID: p.ID, Title: p.Title, Slug: p.Slug, CreatedAt: p.CreatedAt, CategoryID: p.CategoryID}
}

// numberKey names post number n of topic t in state.Numbers.
func numberKey(t int64, n int) string {
	return strconv.FormatInt(t, 10) + "#" + strconv.Itoa(n)
}

// replyTo is the post number p answers, 0 for none (null, absent, or not
// a number).
func (p post) replyTo() int {
	var n int
	if len(p.ReplyToPostNumber) == 0 || json.Unmarshal(p.ReplyToPostNumber, &n) != nil {
		return 0
	}
	return n
}

// parentKey is the key of what reply p answers: the post its
// reply_to_post_number names when that post's id is known (numbers maps
// "topic#number" to post ids), else its topic.
func (tr translator) parentKey(p post, numbers map[string]int64) string {
	if n := p.replyTo(); n > 1 {
		if id, ok := numbers[numberKey(p.TopicID, n)]; ok {
			return tr.postKey(id)
		}
	}
	return tr.topicKey(p.TopicID)
}

// postActivity is the post_created activity of a reply (post number > 1).
// numbers maps "topic#number" to known post ids (see parentKey).
func (tr translator) postActivity(p post, numbers map[string]int64) connectors.Activity {
	return connectors.Activity{
		Key:        tr.postKey(p.ID),
		Platform:   connectors.PlatformDiscourse,
		Instance:   tr.instance,
		Type:       TypePostCreated,
		OccurredAt: p.CreatedAt.UTC(),
		Actor:      tr.ref(p.UserID),
		URL:        tr.postURL(p.TopicSlug, p.TopicID, p.PostNumber),
		Title:      p.TopicTitle,
		Channel:    channel(p.CategoryID),
		ParentKey:  tr.parentKey(p, numbers),
		Reactions:  connectors.ReactionsOf(map[string]int{connectors.ReactionLike: p.likes()}),
		Text:       connectors.Excerpt(p.Cooked),
	}
}

// firstPostActivity is the topic_created activity of p's topic as its
// first post (post number 1) tells it, with the post's likes and text: the
// store keeps the topic's row and takes the counts and the excerpt.
func (tr translator) firstPostActivity(p post) connectors.Activity {
	a := tr.topicActivity(listTopic{ID: p.TopicID, Title: p.TopicTitle, Slug: p.TopicSlug, CreatedAt: p.CreatedAt, CategoryID: p.CategoryID}, p.UserID)
	a.Reactions = connectors.ReactionsOf(map[string]int{connectors.ReactionLike: p.likes()})
	a.Text = connectors.Excerpt(p.Cooked)
	return a
}

// likeActivity is liker's like of p. Discourse does not say when a like was
// given through post_action_users, so OccurredAt is the post's creation: the
// like happened at or after it.
func (tr translator) likeActivity(p post, liker int64) connectors.Activity {
	return connectors.Activity{
		Key:        tr.key(TypeLike, strconv.FormatInt(p.ID, 10)+"-liked-by-"+strconv.FormatInt(liker, 10)),
		Platform:   connectors.PlatformDiscourse,
		Instance:   tr.instance,
		Type:       TypeLike,
		OccurredAt: p.CreatedAt.UTC(),
		Actor:      tr.ref(liker),
		URL:        tr.postURL(p.TopicSlug, p.TopicID, p.PostNumber),
		Title:      p.TopicTitle,
		Channel:    channel(p.CategoryID),
		ParentKey:  tr.postKey(p.ID),
	}
}

// solution is the solution_accepted activity of topic t: actor is who
// accepted (accepter), occurred at the accepted post's creation when it is
// in the topic's first chunk of posts, else at the topic's last post (the
// solved plugin does not say when the answer was accepted).
func (tr translator) solution(t topicView, accepter int64) connectors.Activity {
	a := connectors.Activity{
		Key:        tr.key(TypeSolutionAccepted, strconv.FormatInt(t.ID, 10)),
		Platform:   connectors.PlatformDiscourse,
		Instance:   tr.instance,
		Type:       TypeSolutionAccepted,
		OccurredAt: t.LastPostedAt.UTC(),
		Actor:      tr.ref(accepter),
		URL:        tr.topicURL(t.Slug, t.ID),
		Title:      t.Title,
		Channel:    channel(t.CategoryID),
		ParentKey:  tr.topicKey(t.ID),
	}
	if a.OccurredAt.IsZero() {
		a.OccurredAt = t.CreatedAt.UTC()
	}
	if t.AcceptedAnswer != nil {
		for _, p := range t.PostStream.Posts {
			if p.PostNumber == t.AcceptedAnswer.PostNumber {
				a.OccurredAt = p.CreatedAt.UTC()
				a.URL = tr.postURL(t.Slug, t.ID, p.PostNumber)
				a.ParentKey = tr.postKey(p.ID)
			}
		}
	}
	return a
}

// profileAccount is the full profile of a user, with the e-mail addresses
// and associated accounts that a staff key sees (emails may be nil).
func (tr translator) profileAccount(p profile, emails *emailsResponse, at time.Time) connectors.Account {
	a, _ := tr.account(basicUser{ID: p.ID, Username: p.Username, Name: p.Name, AvatarTemplate: p.AvatarTemplate, staffFlags: p.staffFlags})
	a.ProfileFetchedAt = at
	if w := strings.TrimSpace(p.Website); w != "" {
		a.Links = append(a.Links, w)
	}
	keys := make([]string, 0, len(p.UserFields))
	for k := range p.UserFields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if s, ok := p.UserFields[k].(string); ok && looksLikeURL(s) && !slices.Contains(a.Links, strings.TrimSpace(s)) {
			a.Links = append(a.Links, strings.TrimSpace(s))
		}
	}
	assoc := p.AssociatedAccounts
	addEmail := func(e string) {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && !slices.Contains(a.Emails, e) {
			a.Emails = append(a.Emails, e)
		}
	}
	addEmail(p.Email)
	for _, e := range p.SecondaryEmails {
		addEmail(e)
	}
	if emails != nil {
		addEmail(emails.Email)
		for _, e := range emails.SecondaryEmails {
			addEmail(e)
		}
		assoc = append(assoc, emails.AssociatedAccounts...)
	}
	for _, x := range assoc {
		if u := associatedURL(x); u != "" && !slices.Contains(a.VerifiedLinks, u) {
			a.VerifiedLinks = append(a.VerifiedLinks, u)
		}
	}
	return a
}

func looksLikeURL(s string) bool {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

// providerURLs maps associated-account providers whose description is a
// handle to the profile URL of that handle.
var providerURLs = map[string]string{
	"github":  "https://github.com/",
	"gitlab":  "https://gitlab.com/",
	"twitter": "https://twitter.com/",
	"x":       "https://x.com/",
	"discord": "",
}

// associatedURL returns the profile URL of an associated account, or "" when
// the provider is unknown or the description is not a handle (an e-mail
// address, which Google and Facebook report, names no profile).
func associatedURL(x associatedAccount) string {
	prefix := providerURLs[strings.ToLower(x.Name)]
	handle := strings.TrimSpace(x.Description)
	if handle == "" {
		handle = strings.TrimSpace(x.UID)
	}
	if prefix == "" || handle == "" || strings.ContainsAny(handle, " /?#") {
		return ""
	}
	if _, err := mail.ParseAddress(handle); err == nil {
		return ""
	}
	return prefix + strings.TrimPrefix(handle, "@")
}
