package discoursetest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// ErrNotFound is returned by the mutation methods for an unknown user,
// category, topic or post.
var ErrNotFound = errors.New("discoursetest: not found")

// User is a Discourse account.
type User struct {
	// ID is the permanent numeric id; 0 lets the fake assign one.
	ID int64
	// Username is the handle; it may change, the ID does not.
	Username string
	Name     string
	// TrustLevel 0 hides Website, Location and Bio from anonymous readers,
	// as Discourse's untrusted_attributes do.
	TrustLevel       int
	Admin, Moderator bool
	// Website is the profile's website URL; WebsiteName its display form
	// (the host) and defaults from it.
	Website, WebsiteName string
	Location, Bio        string
	// UserFields are the site's custom user fields by field id ("1", "2",
	// ...), served as user_fields.
	UserFields map[string]string
	// Associated are the external login accounts (GitHub, Google, ...),
	// served only to staff and to the user themself.
	Associated []AssociatedAccount
	// Email and SecondaryEmails are served only to staff and to the user
	// themself.
	Email           string
	SecondaryEmails []string
	// CreatedAt defaults to the fake's clock.
	CreatedAt time.Time
}

// AssociatedAccount is one external login account of a user, as Discourse's
// associated_accounts list gives it.
type AssociatedAccount struct {
	// Name is the provider: "github", "google_oauth2", "twitter", ...
	Name string
	// Description is what the provider reported: a nickname or an e-mail.
	Description string
}

// Category is a forum category.
type Category struct {
	// ID is 0 to let the fake assign one.
	ID          int64
	Name, Slug  string
	Description string
	// ReadRestricted categories are visible to staff keys only.
	ReadRestricted bool
	// ParentID is the parent category's id, 0 for none.
	ParentID int64
}

// Topic is a topic; its first post is created with it.
type Topic struct {
	// ID is 0 to let the fake assign one.
	ID    int64
	Title string
	// User is the author's username.
	User string
	// CategoryID is 0 for Uncategorized (id 1, created on demand).
	CategoryID int64
	// Body is the raw text of the first post.
	Body   string
	Pinned bool
	Closed bool
	// CreatedAt defaults to the fake's clock.
	CreatedAt time.Time
	// FirstPostID is the id of the first post, set by AddTopic.
	FirstPostID int64
	// BumpedAt is the time of the last post, maintained by AddPost.
	BumpedAt time.Time
	// AcceptedPostID is the solved plugin's accepted answer, 0 for none;
	// AcceptedBy the username who accepted it and AcceptedAt when.
	AcceptedPostID int64
	AcceptedBy     string
	AcceptedAt     time.Time
}

// Post is a post of a topic.
type Post struct {
	// ID is 0 to let the fake assign one.
	ID      int64
	TopicID int64
	// User is the author's username.
	User string
	Raw  string
	// ReplyToPostNumber is the post number answered, 0 for none.
	ReplyToPostNumber int
	// PostNumber is assigned by the fake (1 is the topic's first post).
	PostNumber int
	// CreatedAt defaults to the fake's clock.
	CreatedAt time.Time
}

// Like is one like (post action type 2) of a post.
type Like struct {
	PostID int64
	// User is the liker's username.
	User      string
	CreatedAt time.Time
}

func key(s string) string { return strings.ToLower(s) }

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func (s *Server) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return ms(s.now())
	}
	return ms(t)
}

// AddUser adds or replaces a user (matched by username, case-insensitively)
// and returns it with its ID and timestamps filled in.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addUser(u)
}

func (s *Server) addUser(u User) *User {
	if old, ok := s.users[key(u.Username)]; ok && u.ID == 0 {
		u.ID = old.ID
	}
	if u.ID == 0 {
		s.nextUser++
		u.ID = s.nextUser
	} else if u.ID > s.nextUser {
		s.nextUser = u.ID
	}
	u.CreatedAt = s.stamp(u.CreatedAt)
	if u.WebsiteName == "" && u.Website != "" {
		w := strings.TrimPrefix(strings.TrimPrefix(u.Website, "https://"), "http://")
		u.WebsiteName, _, _ = strings.Cut(w, "/")
	}
	f := make(map[string]string, len(u.UserFields))
	for k, v := range u.UserFields {
		f[k] = v
	}
	u.UserFields = f
	u.Associated = append([]AssociatedAccount(nil), u.Associated...)
	u.SecondaryEmails = append([]string(nil), u.SecondaryEmails...)
	p := &u
	s.users[key(u.Username)] = p
	return p
}

// User returns the user with username, if known.
func (s *Server) User(username string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.users, key(username))
}

// RenameUser changes a user's username, keeping the id, as Discourse allows.
func (s *Server) RenameUser(old, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[key(old)]
	if !ok {
		return fmt.Errorf("rename %s: %w", old, ErrNotFound)
	}
	delete(s.users, key(old))
	u.Username = username
	s.users[key(username)] = u
	return nil
}

// RemoveUser removes a user's account but keeps their posts, as a forum
// imported with authors that were never created, or a database-level
// deletion, leaves them: topic lists drop the user from posters, posts
// name no author (user_id, username null) and the topic view's
// details.created_by is null when the user created the topic.
func (s *Server) RemoveUser(username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[key(username)]; !ok {
		return fmt.Errorf("remove %s: %w", username, ErrNotFound)
	}
	delete(s.users, key(username))
	return nil
}

// AddCategory adds a category and returns it with its ID and slug filled
// in.
func (s *Server) AddCategory(c Category) Category {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addCategory(c)
}

func (s *Server) addCategory(c Category) *Category {
	if c.ID == 0 {
		s.nextCategory++
		c.ID = s.nextCategory
	} else if c.ID > s.nextCategory {
		s.nextCategory = c.ID
	}
	if c.Slug == "" {
		c.Slug = slugify(c.Name)
	}
	p := &c
	s.categories[c.ID] = p
	return p
}

// Categories returns every category, by id.
func (s *Server) Categories() []Category {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Category
	for _, c := range s.categories {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "topic"
	}
	return out
}

// AddTopic adds a topic and its first post (post number 1, raw t.Body) and
// returns the topic with its ID, FirstPostID and timestamps filled in. The
// author must be a known user; CategoryID 0 means Uncategorized.
func (s *Server) AddTopic(t Topic) (Topic, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[key(t.User)]; !ok {
		return Topic{}, fmt.Errorf("add topic by %s: user %w", t.User, ErrNotFound)
	}
	if t.CategoryID == 0 {
		if _, ok := s.categories[1]; !ok {
			s.addCategory(Category{ID: 1, Name: "Uncategorized", Slug: "uncategorized"})
		}
		t.CategoryID = 1
	}
	if _, ok := s.categories[t.CategoryID]; !ok {
		return Topic{}, fmt.Errorf("add topic in category %d: %w", t.CategoryID, ErrNotFound)
	}
	if t.ID == 0 {
		s.nextTopic++
		t.ID = s.nextTopic
	} else if t.ID > s.nextTopic {
		s.nextTopic = t.ID
	} else if _, ok := s.topics[t.ID]; ok {
		return Topic{}, fmt.Errorf("add topic %d: id already used", t.ID)
	}
	t.CreatedAt = s.stamp(t.CreatedAt)
	t.BumpedAt = t.CreatedAt
	t.AcceptedPostID, t.AcceptedBy, t.AcceptedAt = 0, "", time.Time{}
	p := &t
	s.topics[t.ID] = p
	first, err := s.addPost(Post{TopicID: t.ID, User: t.User, Raw: t.Body, CreatedAt: t.CreatedAt})
	if err != nil {
		delete(s.topics, t.ID)
		return Topic{}, err
	}
	p.FirstPostID = first.ID
	return *p, nil
}

// Topic returns the topic with id, if known.
func (s *Server) Topic(id int64) (Topic, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.topics, id)
}

// AddPost adds a reply to a topic and returns it with its ID, post number
// and timestamps filled in. The author must be a known user.
func (s *Server) AddPost(p Post) (Post, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	got, err := s.addPost(p)
	if err != nil {
		return Post{}, err
	}
	return *got, nil
}

func (s *Server) addPost(p Post) (*Post, error) {
	t, ok := s.topics[p.TopicID]
	if !ok {
		return nil, fmt.Errorf("add post to topic %d: %w", p.TopicID, ErrNotFound)
	}
	if _, ok := s.users[key(p.User)]; !ok {
		return nil, fmt.Errorf("add post by %s: user %w", p.User, ErrNotFound)
	}
	if p.ID == 0 {
		s.nextPost++
		p.ID = s.nextPost
	} else if _, ok := s.posts[p.ID]; ok {
		return nil, fmt.Errorf("add post %d: id already used", p.ID)
	} else if p.ID > s.nextPost {
		s.nextPost = p.ID
	}
	p.CreatedAt = s.stamp(p.CreatedAt)
	p.PostNumber = len(s.topicPosts[p.TopicID]) + 1
	pp := &p
	s.posts[p.ID] = pp
	s.topicPosts[p.TopicID] = append(s.topicPosts[p.TopicID], pp)
	if p.CreatedAt.After(t.BumpedAt) {
		t.BumpedAt = p.CreatedAt
	}
	return pp, nil
}

// Post returns the post with id, if known.
func (s *Server) Post(id int64) (Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.posts, id)
}

// AddLike records that user liked a post. Liking twice is a no-op.
func (s *Server) AddLike(postID int64, username string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.posts[postID]; !ok {
		return fmt.Errorf("like post %d: %w", postID, ErrNotFound)
	}
	if _, ok := s.users[key(username)]; !ok {
		return fmt.Errorf("like by %s: user %w", username, ErrNotFound)
	}
	for _, l := range s.likes[postID] {
		if key(l.User) == key(username) {
			return nil
		}
	}
	s.likes[postID] = append(s.likes[postID], &Like{PostID: postID, User: username, CreatedAt: s.stamp(at)})
	return nil
}

// Likes returns the likes of a post, oldest first.
func (s *Server) Likes(postID int64) []Like {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Like
	for _, l := range s.likes[postID] {
		out = append(out, *l)
	}
	return out
}

// AcceptSolution marks postID as the accepted answer of topicID (the solved
// plugin), accepted by the username acceptedBy at at. It replaces an earlier
// solution of the topic.
func (s *Server) AcceptSolution(topicID, postID int64, acceptedBy string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[topicID]
	if !ok {
		return fmt.Errorf("accept solution of topic %d: %w", topicID, ErrNotFound)
	}
	p, ok := s.posts[postID]
	if !ok || p.TopicID != topicID {
		return fmt.Errorf("accept post %d in topic %d: %w", postID, topicID, ErrNotFound)
	}
	if _, ok := s.users[key(acceptedBy)]; !ok {
		return fmt.Errorf("accept solution by %s: user %w", acceptedBy, ErrNotFound)
	}
	t.AcceptedPostID, t.AcceptedBy, t.AcceptedAt = postID, acceptedBy, s.stamp(at)
	return nil
}

// DeleteUser deletes a user's account: /u/{username}.json and its
// e-mails answer 404 not_found. Posts, topics and solutions already made
// keep naming the user as they were served before the deletion.
func (s *Server) DeleteUser(username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[key(username)]; !ok {
		return fmt.Errorf("delete user %s: %w", username, ErrNotFound)
	}
	s.goneUsers[key(username)] = true
	return nil
}

// DeleteTopic deletes a topic and its posts: it leaves every listing, and
// /t/{id}.json, its posts and their likes answer 404 not_found.
func (s *Server) DeleteTopic(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.topics[id]; !ok {
		return fmt.Errorf("delete topic %d: %w", id, ErrNotFound)
	}
	for _, p := range s.topicPosts[id] {
		delete(s.posts, p.ID)
		delete(s.likes, p.ID)
	}
	delete(s.topicPosts, id)
	delete(s.topics, id)
	return nil
}

// DeletePost deletes a reply: it leaves /posts.json and its topic, and
// /posts/{id}.json and its likes answer 404 not_found.
func (s *Server) DeletePost(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[id]
	if !ok {
		return fmt.Errorf("delete post %d: %w", id, ErrNotFound)
	}
	s.topicPosts[p.TopicID] = slices.DeleteFunc(s.topicPosts[p.TopicID], func(x *Post) bool { return x.ID == id })
	delete(s.posts, id)
	delete(s.likes, id)
	return nil
}
