package stackoverflow

import (
	"html"
	"net/url"
	"strconv"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Activity types emitted by this connector.
const (
	TypeQuestion       = "question"
	TypeAnswer         = "answer"
	TypeAnswerAccepted = "answer_accepted"
	TypeComment        = "comment"
)

// epoch is a Stack Exchange date: unix seconds.
type epoch int64

func (e epoch) time() time.Time {
	if e == 0 {
		return time.Time{}
	}
	return time.Unix(int64(e), 0).UTC()
}

// shallowUser is the `owner` of a post or comment (type shallow_user).
type shallowUser struct {
	AccountID    int64  `json:"account_id"`
	UserID       int64  `json:"user_id"`
	UserType     string `json:"user_type"`
	DisplayName  string `json:"display_name"`
	ProfileImage string `json:"profile_image"`
	Link         string `json:"link"`
	Reputation   int    `json:"reputation"`
}

// user is a full profile (type user) from /users/{ids}.
type user struct {
	shallowUser
	// IsEmployee marks a Stack Exchange Inc. employee; like user_type
	// moderator it is read and not mapped to Staff (see staffOfSite).
	IsEmployee       bool   `json:"is_employee"`
	WebsiteURL       string `json:"website_url"`
	Location         string `json:"location"`
	CreationDate     epoch  `json:"creation_date"`
	LastModifiedDate epoch  `json:"last_modified_date"`
}

type question struct {
	QuestionID       int64        `json:"question_id"`
	Title            string       `json:"title"`
	Link             string       `json:"link"`
	Tags             []string     `json:"tags"`
	Owner            *shallowUser `json:"owner"`
	CreationDate     epoch        `json:"creation_date"`
	LastActivityDate epoch        `json:"last_activity_date"`
	AcceptedAnswerID int64        `json:"accepted_answer_id"`
	AnswerCount      int          `json:"answer_count"`
	Score            int          `json:"score"`
	Body             string       `json:"body"`
}

type answer struct {
	AnswerID         int64        `json:"answer_id"`
	QuestionID       int64        `json:"question_id"`
	Owner            *shallowUser `json:"owner"`
	IsAccepted       bool         `json:"is_accepted"`
	CreationDate     epoch        `json:"creation_date"`
	LastActivityDate epoch        `json:"last_activity_date"`
	Score            int          `json:"score"`
	Body             string       `json:"body"`
}

type comment struct {
	CommentID    int64        `json:"comment_id"`
	PostID       int64        `json:"post_id"`
	Owner        *shallowUser `json:"owner"`
	CreationDate epoch        `json:"creation_date"`
	Score        int          `json:"score"`
	Body         string       `json:"body"`
}

// translator turns API objects into the shared model. It holds only the
// site; it does no I/O.
type translator struct {
	site string
}

func (t translator) key(typ string, id int64) string {
	return connectors.PlatformStackOverflow + "/" + t.site + "/" + typ + "/" + strconv.FormatInt(id, 10)
}

// ref names an owner by its user id on the site; a deleted or anonymous
// owner (no user_id) has none.
func (t translator) ref(u *shallowUser) connectors.AccountRef {
	if u == nil || u.UserID <= 0 {
		return connectors.AccountRef{}
	}
	return connectors.AccountRef{Platform: connectors.PlatformStackOverflow, Instance: t.site, ExternalID: strconv.FormatInt(u.UserID, 10)}
}

// staffOfSite documents why no Stack Exchange account is ever reported as
// connectors.Account.Staff: the community a source syncs is a set of tags
// on a site, and the API has no role for "works for this tag". A
// user_type "moderator" is a moderator of the whole site (elected by it,
// or granted the powers as an employee), and is_employee marks a
// Stack Exchange Inc. employee: both are staff of the site or the network,
// not of the community, which lists its own people in the config's team:
// (or marks them with rollcall mark). team_admin is an admin of a Stack
// Overflow for Teams team, not of a public site's community either.
const staffOfSite = false

// account translates a shallow user (a reference, not a full profile).
// Stack Exchange has no handle: Username is the display name, which the
// user may change; the account is keyed by user_id only.
func (t translator) account(u *shallowUser) (connectors.Account, bool) {
	ref := t.ref(u)
	if ref.IsZero() {
		return connectors.Account{}, false
	}
	name := html.UnescapeString(u.DisplayName)
	a := connectors.Account{AccountRef: ref, Username: name, Name: name, URL: u.Link, AvatarURL: u.ProfileImage, Staff: staffOfSite}
	if u.AccountID > 0 {
		a.NetworkID = strconv.FormatInt(u.AccountID, 10)
	}
	a.Reputation = max(u.Reputation, 0)
	return a, true
}

// profile translates a full profile read at now.
func (t translator) profile(u *user, now time.Time) (connectors.Account, bool) {
	a, ok := t.account(&u.shallowUser)
	if !ok {
		return a, false
	}
	if u.WebsiteURL != "" {
		a.Links = []string{u.WebsiteURL}
	}
	a.ProfileFetchedAt = now.UTC()
	return a, true
}

func (t translator) activity(typ string, id int64, at time.Time, owner *shallowUser, channel string) connectors.Activity {
	return connectors.Activity{
		Key:        t.key(typ, id),
		Platform:   connectors.PlatformStackOverflow,
		Instance:   t.site,
		Type:       typ,
		OccurredAt: at,
		Actor:      t.ref(owner),
		Channel:    channel,
	}
}

// siteRoot is "https://host" of a post link, for answer and comment links
// (the default filter carries no link on them).
func siteRoot(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// score is a post's or comment's score (up votes minus down votes).
func score(n int) *connectors.Reactions {
	return connectors.ReactionsOf(map[string]int{connectors.ReactionScore: n})
}

func (t translator) question(q *question, channel string) connectors.Activity {
	a := t.activity(TypeQuestion, q.QuestionID, q.CreationDate.time(), q.Owner, channel)
	a.URL = q.Link
	a.Title = html.UnescapeString(q.Title)
	a.Reactions = score(q.Score)
	a.Text = connectors.Excerpt(q.Body)
	return a
}

func answerURL(q *question, id int64) string {
	if r := siteRoot(q.Link); r != "" {
		return r + "/a/" + strconv.FormatInt(id, 10)
	}
	return ""
}

func (t translator) answer(q *question, an *answer, channel string) connectors.Activity {
	a := t.activity(TypeAnswer, an.AnswerID, an.CreationDate.time(), an.Owner, channel)
	a.URL = answerURL(q, an.AnswerID)
	a.Title = html.UnescapeString(q.Title)
	a.ParentKey = t.key(TypeQuestion, q.QuestionID)
	a.Reactions = score(an.Score)
	a.Text = connectors.Excerpt(an.Body)
	return a
}

// accepted is the acceptance of an answer, done by the question's owner and
// keyed by the question (one accepted answer per question). The API has no
// acceptance time: OccurredAt is the accepted answer's last_activity_date,
// or the question's when the answer is not at hand.
func (t translator) accepted(q *question, an *answer, channel string) connectors.Activity {
	id, at := q.AcceptedAnswerID, q.LastActivityDate.time()
	if an != nil {
		id, at = an.AnswerID, an.LastActivityDate.time()
	}
	a := t.activity(TypeAnswerAccepted, q.QuestionID, at, q.Owner, channel)
	a.URL = answerURL(q, id)
	a.Title = html.UnescapeString(q.Title)
	a.ParentKey = t.key(TypeAnswer, id)
	return a
}

// comment translates a comment on the question q or on one of its answers
// (onAnswer).
func (t translator) comment(q *question, c *comment, onAnswer bool, channel string) connectors.Activity {
	a := t.activity(TypeComment, c.CommentID, c.CreationDate.time(), c.Owner, channel)
	if r := siteRoot(q.Link); r != "" {
		a.URL = r + "/posts/comments/" + strconv.FormatInt(c.CommentID, 10)
	}
	a.Title = html.UnescapeString(q.Title)
	a.Reactions = score(c.Score)
	a.Text = connectors.Excerpt(c.Body)
	if onAnswer {
		a.ParentKey = t.key(TypeAnswer, c.PostID)
	} else {
		a.ParentKey = t.key(TypeQuestion, c.PostID)
	}
	return a
}
