package community

import (
	"strings"
	"time"
)

// More platforms used in Account.
const (
	// PlatformMastodon accounts are named "username@domain", lower-cased,
	// with the account's home domain.
	PlatformMastodon = "mastodon"
	// PlatformDiscourse accounts are named by their Discourse username.
	PlatformDiscourse = "discourse"
	// PlatformStackOverflow accounts are named by their display name, which
	// is not unique: ExternalID tells them apart.
	PlatformStackOverflow = "stackoverflow"
)

// MastodonData is the Mastodon side of the community: one server (Instance)
// that also knows the remote accounts that interacted with it.
type MastodonData struct {
	// Instance is the domain of the server the fake plays, home of the
	// community's own account.
	Instance string
	// Accounts are the accts ("username@domain") a Mastodon source tracks:
	// the community's own account, whose notifications carry mentions,
	// boosts, favourites and follows.
	Accounts []string
	// Hashtags are the hashtags a Mastodon source follows, without '#'.
	Hashtags []string
	// Users are every account, the community's own first, then in person
	// order; local ones have Domain == Instance.
	Users []MastodonAccount
	// Statuses are the original posts (not boosts), oldest first; N is
	// index+1.
	Statuses []MastodonStatus
	// Boosts and Favourites of the community's own statuses, oldest
	// first: each notifies the tracked account.
	Boosts, Favourites []MastodonReaction
	// PeerFavourites are favourites of members' statuses by other
	// members, oldest first: they notify the status's author, not the
	// tracked account, and show only in the status's favourites_count.
	PeerFavourites []MastodonReaction
	// Follows of the tracked accounts, oldest first.
	Follows []MastodonFollow
}

// MastodonAccount is a Mastodon account, local or remote.
type MastodonAccount struct {
	// Username is the handle without domain; Domain is the home instance.
	Username, Domain string
	DisplayName      string
	// Note is the bio, plain text (the loader renders it as HTML).
	Note string
	Bot  bool
	// Fields are the profile metadata, Value a plain URL or text.
	Fields    []MastodonField
	CreatedAt time.Time
}

// Acct returns "username@domain", lower-cased: the account's name in the
// truth and in statuses.
func (a MastodonAccount) Acct() string {
	return strings.ToLower(a.Username + "@" + a.Domain)
}

// URL returns the profile URL, https://<domain>/@<username>.
func (a MastodonAccount) URL() string { return MastodonURL(a.Username, a.Domain) }

// MastodonURL returns the profile URL of username on domain.
func MastodonURL(username, domain string) string {
	return "https://" + domain + "/@" + username
}

// MastodonField is one profile metadata entry. VerifiedAt is non-zero when
// the server verified the link (rel="me": the target links back).
type MastodonField struct {
	Name, Value string
	VerifiedAt  time.Time
}

// MastodonStatus is an original post.
type MastodonStatus struct {
	// N is the status's position in MastodonData.Statuses plus one; the
	// fake assigns the real id.
	N int
	// Account is the author's acct ("username@domain").
	Account string
	// Content is plain text; mentions appear as "@username@domain" and
	// hashtags as "#tag".
	Content string
	// Tags are hashtag names without '#'; Mentions are accts.
	Tags, Mentions []string
	// InReplyTo is the N of the status answered, 0 for none.
	InReplyTo int
	CreatedAt time.Time
}

// MastodonReaction is a boost or a favourite of status N by Account.
type MastodonReaction struct {
	Account string
	Status  int
	At      time.Time
}

// MastodonFollow is Account following Target (both accts).
type MastodonFollow struct {
	Account, Target string
	At              time.Time
}

// DiscourseData is the community's Discourse forum.
type DiscourseData struct {
	// Host is the forum's host name; profiles are https://<Host>/u/<username>.
	Host       string
	Categories []DiscourseCategory
	// Users in id order: system (-1) and discobot (-2) first when present.
	Users []DiscourseUser
	// Topics in id (and creation) order.
	Topics []DiscourseTopic
	// Posts of every topic, first posts included, in id (and creation)
	// order; ids are contiguous from 1.
	Posts []DiscoursePost
	// Likes, oldest first.
	Likes []DiscourseLike
}

// DiscourseCategory is a forum category.
type DiscourseCategory struct {
	ID                      int64
	Name, Slug, Description string
	// Solved marks categories where the solved plugin is enabled.
	Solved bool
}

// DiscourseUser is a forum account.
type DiscourseUser struct {
	ID       int64
	Username string
	Name     string
	// TrustLevel 0 hides Website, Location and Bio from anonymous readers.
	TrustLevel       int
	Admin, Moderator bool
	Website          string
	Location, Bio    string
	// GitHub is the login of the associated GitHub account (seen by staff
	// keys), "" for none.
	GitHub string
	// Email is seen by staff keys only.
	Email     string
	CreatedAt time.Time
}

// URL returns the profile URL on host.
func (u DiscourseUser) URL(host string) string { return DiscourseURL(host, u.Username) }

// DiscourseURL returns the profile URL of username on the forum host.
func DiscourseURL(host, username string) string { return "https://" + host + "/u/" + username }

// DiscourseTopic is a topic; its first post is in DiscourseData.Posts.
type DiscourseTopic struct {
	ID         int64
	Title      string
	User       string
	CategoryID int64
	Pinned     bool
	CreatedAt  time.Time
	// FirstPostID is the id of post number 1.
	FirstPostID int64
	// AcceptedPostID is the solved plugin's accepted answer (0 for none),
	// accepted by AcceptedBy at AcceptedAt.
	AcceptedPostID int64
	AcceptedBy     string
	AcceptedAt     time.Time
}

// DiscoursePost is a post of a topic.
type DiscoursePost struct {
	ID, TopicID int64
	// PostNumber is 1 for the topic's first post.
	PostNumber        int
	User              string
	Raw               string
	ReplyToPostNumber int
	CreatedAt         time.Time
}

// DiscourseLike is a like of a post.
type DiscourseLike struct {
	PostID    int64
	User      string
	CreatedAt time.Time
}

// StackOverflowData is the community's corner of Stack Overflow: the
// questions on its tags and the people around them.
type StackOverflowData struct {
	// Site is the API site parameter, "stackoverflow".
	Site string
	// Tags are the tags a Stack Overflow source tracks.
	Tags  []string
	Users []SOUser
	// Questions, Answers and Comments, oldest first. Questions and answers
	// share one post id space, as on Stack Exchange.
	Questions []SOQuestion
	Answers   []SOAnswer
	Comments  []SOComment
}

// SOUser is a Stack Overflow account.
type SOUser struct {
	// UserID is the site's id; AccountID the network-wide one.
	UserID, AccountID int64
	// DisplayName is not unique.
	DisplayName string
	// Link is the profile, https://stackoverflow.com/users/<id>/<slug>.
	Link         string
	WebsiteURL   string
	Location     string
	Reputation   int
	CreationDate time.Time
}

// SOQuestion is a question.
type SOQuestion struct {
	QuestionID   int64
	Title        string
	Tags         []string
	OwnerID      int64
	CreationDate time.Time
	// AcceptedAnswerID is 0 when no answer is accepted.
	AcceptedAnswerID int64
	Score            int
}

// SOAnswer is an answer; IsAccepted answers were accepted at AcceptedAt.
type SOAnswer struct {
	AnswerID, QuestionID int64
	OwnerID              int64
	CreationDate         time.Time
	IsAccepted           bool
	AcceptedAt           time.Time
	Score                int
}

// SOComment is a comment on a question or an answer (PostID).
type SOComment struct {
	CommentID, PostID int64
	OwnerID           int64
	CreationDate      time.Time
	Score             int
}

// Impostor is an account whose profile claims someone else's GitHub
// account, which does not link back. The impostor is a person of their own.
type Impostor struct {
	// Person is the impostor's person ID; Account the claiming account.
	Person  string
	Account Account
	// Claims is the GitHub login claimed; Victim the person ID owning it.
	Claims, Victim string
}
