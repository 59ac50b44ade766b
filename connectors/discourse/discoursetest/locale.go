package discoursetest

import (
	"strconv"
	"strings"
)

// Locale is the site's default language: the display strings Discourse
// renders with I18n.t on the routes the fake serves. A zero field falls back
// to English, as Discourse's I18n falls back to en for a missing key.
type Locale struct {
	// Code is the Discourse locale name ("en", "zh_CN", ...).
	Code string
	// OriginalPoster, MostRecentPoster and FrequentPoster are the posters[]
	// descriptions of topic lists (original_poster, most_recent_poster,
	// frequent_poster); Joiner joins several of them for one user
	// (poster_description_joiner).
	OriginalPoster, MostRecentPoster, FrequentPoster, Joiner string
	// NotFound, InvalidAccess, InvalidAPICredentials and NotLoggedIn are the
	// errors[] messages of 404 and 403 answers.
	NotFound, InvalidAccess, InvalidAPICredentials, NotLoggedIn string
	// TooManyRequests is rate_limiter.too_many_requests, with %{time_left};
	// SecondsOne and SecondsOther are rate_limiter.seconds (one, other), with
	// %{count}, used for time_left.
	TooManyRequests, SecondsOne, SecondsOther string
}

// English is Discourse's en locale. The error and rate-limit strings are
// those of config/locales/server.en.yml (discourse/discourse @00109904); the
// poster descriptions are those of the recorded topic lists under
// shared/fixtures/discourse and of Discourse's TopicPostersSummary spec.
var English = Locale{
	Code:                  "en",
	OriginalPoster:        "Original Poster",
	MostRecentPoster:      "Most Recent Poster",
	FrequentPoster:        "Frequent Poster",
	Joiner:                ", ",
	NotFound:              "The requested URL or resource could not be found.",
	InvalidAccess:         "You are not permitted to view the requested resource.",
	InvalidAPICredentials: "You are not permitted to view the requested resource. The API username or key is invalid.",
	NotLoggedIn:           "You need to be logged in to do that.",
	TooManyRequests:       "You’ve performed this action too many times. Please wait %{time_left} before trying again.",
	SecondsOne:            "%{count} second",
	SecondsOther:          "%{count} seconds",
}

// ChineseSimplified is the zh_CN locale's poster descriptions and joiner,
// as quoted from Discourse's config/locales/server.zh_CN.yml by a
// third-party Discourse client; other strings fall back to English.
var ChineseSimplified = Locale{
	Code:             "zh_CN",
	OriginalPoster:   "原始发帖人",
	MostRecentPoster: "最新发帖人",
	FrequentPoster:   "频繁发帖人",
	Joiner:           "、",
}

// ChineseTraditional is the zh_TW locale's poster descriptions, as quoted
// from Discourse's config/locales/server.zh_TW.yml by the same client;
// other strings fall back to English.
var ChineseTraditional = Locale{
	Code:             "zh_TW",
	OriginalPoster:   "原始作者",
	MostRecentPoster: "當前大部分貼文作者",
	FrequentPoster:   "頻繁發文者",
}

// Pseudo is a pseudo-locale for tests: every display string is reworded
// (no real forum serves it), so a client that reads any display text to
// decide structure fails against it.
var Pseudo = Locale{
	Code:                  "x_pseudo",
	OriginalPoster:        "⟦Ōrıgınał Pōšţęr⟧",
	MostRecentPoster:      "⟦Mōšţ Ręčęnţ Pōšţęr⟧",
	FrequentPoster:        "⟦Fręqųęnţ Pōšţęr⟧",
	Joiner:                " · ",
	NotFound:              "⟦nothing here⟧",
	InvalidAccess:         "⟦forbidden⟧",
	InvalidAPICredentials: "⟦who are you?⟧",
	NotLoggedIn:           "⟦log in first⟧",
	TooManyRequests:       "⟦slow down: %{time_left}⟧",
	SecondsOne:            "%{count}⟦s⟧",
	SecondsOther:          "%{count}⟦s⟧",
}

// Locales returns the built-in locales, English first.
func Locales() []Locale { return []Locale{English, ChineseSimplified, ChineseTraditional, Pseudo} }

// WithLocale sets the site's default locale (English by default).
func WithLocale(l Locale) Option { return func(s *Server) { s.locale = l.withFallback() } }

// SetLocale changes the site's default locale, as an admin changing
// default_locale does; later responses use it.
func (s *Server) SetLocale(l Locale) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locale = l.withFallback()
}

func (l Locale) withFallback() Locale {
	e := English
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	l.OriginalPoster = pick(l.OriginalPoster, e.OriginalPoster)
	l.MostRecentPoster = pick(l.MostRecentPoster, e.MostRecentPoster)
	l.FrequentPoster = pick(l.FrequentPoster, e.FrequentPoster)
	l.Joiner = pick(l.Joiner, e.Joiner)
	l.NotFound = pick(l.NotFound, e.NotFound)
	l.InvalidAccess = pick(l.InvalidAccess, e.InvalidAccess)
	l.InvalidAPICredentials = pick(l.InvalidAPICredentials, e.InvalidAPICredentials)
	l.NotLoggedIn = pick(l.NotLoggedIn, e.NotLoggedIn)
	l.TooManyRequests = pick(l.TooManyRequests, e.TooManyRequests)
	l.SecondsOne = pick(l.SecondsOne, e.SecondsOne)
	l.SecondsOther = pick(l.SecondsOther, e.SecondsOther)
	if l.Code == "" {
		l.Code = "en"
	}
	return l
}

// timeLeft is RateLimiter's time_left for n seconds.
func (l Locale) timeLeft(n int) string {
	f := l.SecondsOther
	if n == 1 {
		f = l.SecondsOne
	}
	return strings.ReplaceAll(f, "%{count}", strconv.Itoa(n))
}

// tooMany is rate_limiter.too_many_requests for n seconds.
func (l Locale) tooMany(n int) string {
	return strings.ReplaceAll(l.TooManyRequests, "%{time_left}", l.timeLeft(n))
}
