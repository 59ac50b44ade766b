package stackoverflowtest

import "time"

// User is an account on the fake's site.
type User struct {
	// UserID is the id on this site; 0 in AddUser picks one.
	UserID int64
	// AccountID is the network-wide id; 0 in AddUser picks one.
	AccountID int64
	// DisplayName is the plain (unescaped) name; the fake HTML-escapes it.
	DisplayName string
	// Link is the profile page; empty means https://<site host>/users/<id>/<slug>.
	Link       string
	WebsiteURL string
	Location   string
	Reputation int
	// UserType is registered (default), unregistered, moderator or team_admin.
	UserType string
	// IsEmployee marks a Stack Exchange Inc. employee: served as is_employee
	// on full user objects (/users/{ids}) only, as the API does; shallow
	// users (post owners) have no such field.
	IsEmployee   bool
	ProfileImage string
	// CreationDate defaults to the fake's clock.
	CreationDate time.Time
}

// Question is a question on the fake's site.
type Question struct {
	// QuestionID is a post id; 0 in AddQuestion picks one.
	QuestionID int64
	// Title is plain text; the fake HTML-escapes it.
	Title string
	Tags  []string
	// OwnerID is the asker's user id; 0 means a deleted user
	// (user_type does_not_exist).
	OwnerID int64
	// CreationDate defaults to the fake's clock.
	CreationDate time.Time
	// LastActivityDate defaults to CreationDate; answers, comments,
	// acceptances and Touch move it forward.
	LastActivityDate time.Time
	// AcceptedAnswerID is set by AddAnswer with IsAccepted and by AcceptAnswer.
	AcceptedAnswerID int64
	Score            int
	// Body is the question's HTML, served with the withbody filter.
	Body string
	// Link is the question's page; empty means https://<site host>/questions/<id>/<slug>.
	Link string
}

// Answer is an answer to a question.
type Answer struct {
	// AnswerID is a post id (shared with questions); 0 in AddAnswer picks one.
	AnswerID   int64
	QuestionID int64
	// OwnerID is the answerer's user id; 0 means a deleted user.
	OwnerID    int64
	IsAccepted bool
	// CreationDate defaults to the fake's clock; LastActivityDate to it.
	CreationDate     time.Time
	LastActivityDate time.Time
	Score            int
	// Body is the answer's HTML, served with the withbody filter.
	Body string
}

// Comment is a comment on a question or an answer.
type Comment struct {
	// CommentID is 0 in AddComment to pick one.
	CommentID int64
	// PostID is the question or answer commented on.
	PostID int64
	// OwnerID is the commenter's user id; 0 means a deleted user.
	OwnerID      int64
	CreationDate time.Time
	Score        int
	// Body is the comment's HTML, served with the withbody filter.
	Body string
}

// Associated is an account of a network user on another site, listed by
// /users/{ids}/associated next to the fake site's own users.
type Associated struct {
	AccountID  int64
	UserID     int64
	SiteName   string
	SiteURL    string
	Reputation int
	UserType   string
	// CreationDate defaults to the fake's clock.
	CreationDate time.Time
}

// Request is one entry of the request log.
type Request struct {
	Method string
	// Path is the URL path including the /2.3 prefix.
	Path string
	// Route is the method's name as used by SetBackoff, e.g. RouteAnswers.
	Route    string
	RawQuery string
	// Status is the HTTP status answered; ErrorID the wrapper's error_id.
	Status  int
	ErrorID int
	// Keyed reports whether the request carried a key.
	Keyed bool
	// Page is the page= asked for (1 when absent).
	Page int
	// Counted reports whether the request consumed quota.
	Counted bool
}

// Routes: the method names the fake serves, as used by SetBackoff and in
// Request.Route.
const (
	RouteQuestions        = "/questions"
	RouteQuestionsByID    = "/questions/{ids}"
	RouteAnswers          = "/questions/{ids}/answers"
	RouteQuestionComments = "/questions/{ids}/comments"
	RouteAnswerComments   = "/answers/{ids}/comments"
	RouteUsers            = "/users/{ids}"
	RouteAssociated       = "/users/{ids}/associated"
	RouteInfo             = "/info"
	RouteFiltersCreate    = "/filters/create"
)

// Encoding is how the fake compresses bodies.
type Encoding int

const (
	// Gzip compresses with gzip and says so in Content-Encoding (default).
	Gzip Encoding = iota
	// Deflate compresses with deflate (zlib format) and says so.
	Deflate
	// GzipNoHeader compresses with gzip but omits Content-Encoding, as
	// errors raised early on the real service may.
	GzipNoHeader
)
