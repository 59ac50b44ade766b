package discoursetest

import (
	"strconv"
	"strings"
)

// Locale is the site's default language: the display strings Discourse
// renders with I18n.t on the routes the fake serves (topic lists' posters
// descriptions, errors[] of 403/404 and the JSON 429's message and
// extras.time_left). A zero field falls back to English, as Discourse's I18n
// falls back to en for a missing key. The per-IP limiter's plain-text 429 is
// English in every locale: the middleware does not translate it.
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

// English is Discourse's en locale, from config/locales/server.en.yml
// (discourse/discourse @00109904); the recorded topic lists under
// shared/fixtures/discourse show the same poster descriptions.
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

// French is Discourse's fr locale, from config/locales/server.fr.yml
// (discourse/discourse @0098836e).
var French = Locale{
	Code:                  "fr",
	OriginalPoster:        "Créateur du sujet",
	MostRecentPoster:      "Auteur le plus récent",
	FrequentPoster:        "Auteur fréquent",
	Joiner:                ", ",
	NotFound:              "L'URL ou la ressource demandée n'a pas été retrouvée.",
	InvalidAccess:         "L'accès à la ressource demandée n'est pas autorisé.",
	InvalidAPICredentials: "Vous n'êtes pas autorisé(e) à voir cette ressource. Le nom d’utilisateur ou la clé API n'est pas valide.",
	NotLoggedIn:           "Vous devez être connecté(e) pour effectuer cette opération.",
	TooManyRequests:       "Vous avez effectué cette action un trop grand nombre de fois. Veuillez attendre %{time_left} avant de réessayer.",
	SecondsOne:            "%{count} seconde",
	SecondsOther:          "%{count} secondes",
}

// German is Discourse's de locale, from config/locales/server.de.yml
// (discourse/discourse @01cc3e4a, an older version of the file: it has no
// poster_description_joiner or invalid_api_credentials, which fall back to
// English as Discourse's I18n does).
var German = Locale{
	Code:             "de",
	OriginalPoster:   "Autor des ersten Beitrags",
	MostRecentPoster: "Autor des jüngsten Beitrags",
	FrequentPoster:   "Autor vieler Beiträge",
	NotFound:         "Die angeforderte URL oder Ressource konnte nicht gefunden werden.",
	InvalidAccess:    "Du hast nicht die Erlaubnis, die angeforderte Ressource zu betrachten.",
	NotLoggedIn:      "Dazu musst du angemeldet sein.",
	TooManyRequests:  "Diese Aktion kann nur ein begrenztes Mal pro Tag durchgeführt werden. Bitte warte %{time_left} bis zum nächsten Versuch.",
	SecondsOne:       "1 Sekunde",
	SecondsOther:     "%{count} Sekunden",
}

// Japanese is Discourse's ja locale, from config/locales/server.ja.yml
// (discourse/discourse @008328b2). Japanese has one plural form (other).
var Japanese = Locale{
	Code:                  "ja",
	OriginalPoster:        "元の投稿者",
	MostRecentPoster:      "最も最近の投稿者",
	FrequentPoster:        "頻繁な投稿者",
	Joiner:                "、",
	NotFound:              "リクエストされた URL またはリソースは見つかりませんでした。",
	InvalidAccess:         "リクエストしたリソースの閲覧が許可されていません。",
	InvalidAPICredentials: "リクエストされたリソースを表示することは許可されていません。API ユーザー名またはキーが無効です。",
	NotLoggedIn:           "この操作を行うにはログインしてください。",
	TooManyRequests:       "この操作の実行回数が多すぎます。%{time_left}経ってからもう一度お試しください。",
	SecondsOne:            "%{count} 秒",
	SecondsOther:          "%{count} 秒",
}

// PortugueseBR is Discourse's pt_BR locale, from
// config/locales/server.pt_BR.yml (discourse/discourse @0098836e), including
// its missing space in "Espere%{time_left}".
var PortugueseBR = Locale{
	Code:                  "pt_BR",
	OriginalPoster:        "Autor(a) original",
	MostRecentPoster:      "Autor(a) mais recente",
	FrequentPoster:        "Autor(a) frequente",
	Joiner:                ", ",
	NotFound:              "A URL ou recurso pedido não pôde ser encontrada.",
	InvalidAccess:         "Você não tem permissão para ver o recurso solicitado.",
	InvalidAPICredentials: "Você não tem permissão para visualizar o recurso pedido. O nome do(a) usuário(a) ou a chave da API é inválida.",
	NotLoggedIn:           "Você precisa entrar com sua conta para fazer isto.",
	TooManyRequests:       "Você já executou esta ação muitas vezes. Espere%{time_left} antes de tentar novamente.",
	SecondsOne:            "%{count} segundo",
	SecondsOther:          "%{count} segundos",
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

// Locales returns the built-in locales, English first: the five real ones
// and Pseudo.
func Locales() []Locale { return []Locale{English, French, German, Japanese, PortugueseBR, Pseudo} }

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
