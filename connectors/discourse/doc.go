// Package discourse is the Discourse connector: it reads a forum's topics
// (topic_created), replies (post_created), likes (like) and the solved
// plugin's accepted answers (solution_accepted), plus user profiles, through
// the shared connectors.Client, and translates them into connectors.Account
// and connectors.Activity.
//
// # Streams and walks
//
// Discourse has no `since` filter and no conditional requests, only
// newest-first listings: topics from /latest.json?order=created (or
// /c/{slug}/{id}.json?order=created per configured category, page 0-based)
// and replies from /posts.json?before= (50 a page, before applied as
// id <= before, so the next page is the smallest id − 1). A pass walks each
// stream from its newest item back to the stream's mark: the newest id
// committed by the previous complete walk.
//
// Every batch commits the walk position with its data: the mark, the top of
// the walk in progress (newest id seen on its first page) and where it
// resumes (the next page, or the next before=). A crash between batches
// therefore resumes the walk where it stopped, and whatever appeared above
// the top meanwhile is found by the next walk, which runs down to the new
// mark (the old top) — so no item between two marks is skipped. The mark
// moves only when a walk is complete. Items inside each batch are emitted
// oldest first. Page numbers of topic lists shift when topics are created
// during a walk (an item is then read twice, harmlessly); a topic deleted
// during a walk can shift one older topic onto a page already read, which
// the next complete walk does not revisit.
//
// # Topic authors
//
// A topic's author comes from structure, never from the translated
// posters[].description ("Original Poster" is I18n.t in the site's
// language): the first entry of the list's posters, whose user is in the
// list's users (TopicPostersSummary puts the creator first whenever the
// account exists); else the topic's first post (post_number 1) seen in
// /posts.json in the same pass (the topic waits in the cursor's pending
// list); else, when the posts walk is done, /t/{id}.json's
// details.created_by or its post number 1 (topicCreator; 404 and 403 mean
// no author known). A topic no source names an author of is logged at warn
// with its id and counted in Stats.Skipped, never guessed.
//
// # Likes and solutions
//
// Likes come from /post_action_users.json?id=&post_action_type_id=2 for
// each post whose listed like count (actions_summary id 2) is above the
// count already committed: new posts, and the newest 100 posts whose counts
// the cursor remembers. Likes given later on older posts are not seen. That
// endpoint gives no time, so a like's OccurredAt is the liked post's
// creation (the like is at or after it). Keys: "discourse/<host>/like/<post
// id>-liked-by-<user id>".
//
// Solutions: a listed topic with has_accepted_answer (new in the walk, or
// on the first page and not yet committed) is read through /t/{id}.json,
// whose accepted_answer names the post and who accepted it. The activity is
// keyed by topic ("discourse/<host>/solution_accepted/<topic id>", one
// solution per topic); its actor is the accepter when the plugin reports one
// (found among the topic's participants, or by reading their profile), else
// the topic's author; it occurred at the accepted post's creation when that
// post is in the topic's first 20 posts, else at the topic's last post.
//
// # Accounts
//
// Accounts are keyed by the numeric user id (usernames can change), with
// Username, Name, URL (forum/u/username) and avatar. Profiles
// (/u/{username}.json) are read at most daily per account: the website and
// URL-looking user fields become Links. With a staff key (detected once per
// connector from /session/current.json), /u/{username}/emails.json adds the
// e-mail addresses and the associated accounts, which become VerifiedLinks
// (github → https://github.com/<description>, gitlab, twitter, x).
//
// # Limits
//
// Discourse sends no quota headers. A 429 carries Retry-After and
// Discourse-Rate-Limit-Error-Code, with a JSON extras.wait_seconds (API key
// limiters) or a plain-text body (per-IP limiter); the connector turns a
// JSON-only wait into Retry-After below the shared client, which waits out
// short pauses and returns *connectors.ErrRateLimited for long ones. A 403
// on a listing of the forum is *connectors.ErrUnauthorized; a 403 on one
// object is skipped. No message text (errors[], the per-IP sentence) is
// ever read: Discourse translates or rewords it.
//
// What does not live here: the fake Discourse used by tests and the demo (see
// discoursetest), the store, and identity resolution.
package discourse
