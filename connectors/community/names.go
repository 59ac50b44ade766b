package community

// name is a display name with an ASCII form used to derive handles and
// e-mail addresses.
type name struct{ display, ascii string }

var firstNames = []name{
	{"José", "jose"}, {"Zoë", "zoe"}, {"María", "maria"}, {"Björn", "bjorn"}, {"Søren", "soren"},
	{"François", "francois"}, {"Chloé", "chloe"}, {"Łukasz", "lukasz"}, {"Ayşe", "ayse"}, {"Jürgen", "jurgen"},
	{"Nguyễn", "nguyen"}, {"Siobhán", "siobhan"}, {"Rénee", "renee"}, {"Ángel", "angel"}, {"İbrahim", "ibrahim"},
	{"Wei", "wei"}, {"Yuki", "yuki"}, {"Priya", "priya"}, {"Arjun", "arjun"}, {"Olusegun", "olusegun"},
	{"Chidi", "chidi"}, {"Amara", "amara"}, {"Fatima", "fatima"}, {"Omar", "omar"}, {"Ji-woo", "jiwoo"},
	{"Mei", "mei"}, {"Hiroshi", "hiroshi"}, {"Sakura", "sakura"}, {"Dmitri", "dmitri"}, {"Olga", "olga"},
	{"Anna", "anna"}, {"John", "john"}, {"Jon", "jon"}, {"Sarah", "sarah"}, {"Sara", "sara"},
	{"Michael", "michael"}, {"Emily", "emily"}, {"David", "david"}, {"Laura", "laura"}, {"Lucas", "lucas"},
	{"Mateo", "mateo"}, {"Sofía", "sofia"}, {"Kwame", "kwame"}, {"Aisha", "aisha"}, {"Ravi", "ravi"},
	{"Ingrid", "ingrid"}, {"Mikael", "mikael"}, {"Noa", "noa"}, {"Tomás", "tomas"}, {"Élodie", "elodie"},
	{"Kai", "kai"}, {"Leilani", "leilani"}, {"Tariq", "tariq"}, {"Hana", "hana"}, {"Pablo", "pablo"},
	{"Alex", "alex"}, {"Sam", "sam"}, {"Chris", "chris"}, {"Jordan", "jordan"}, {"Robin", "robin"},
}

var lastNames = []name{
	{"García", "garcia"}, {"Müller", "muller"}, {"Dubois", "dubois"}, {"Kowalski", "kowalski"}, {"Yılmaz", "yilmaz"},
	{"Nakamura", "nakamura"}, {"Tanaka", "tanaka"}, {"Kim", "kim"}, {"Park", "park"}, {"Chen", "chen"},
	{"Wang", "wang"}, {"Li", "li"}, {"Sharma", "sharma"}, {"Patel", "patel"}, {"Okafor", "okafor"},
	{"Adeyemi", "adeyemi"}, {"Mensah", "mensah"}, {"Haddad", "haddad"}, {"Ivanov", "ivanov"}, {"Petrova", "petrova"},
	{"Smith", "smith"}, {"Smyth", "smyth"}, {"Johnson", "johnson"}, {"Brown", "brown"}, {"Martin", "martin"},
	{"Jensen", "jensen"}, {"Andersson", "andersson"}, {"Nielsen", "nielsen"}, {"O'Brien", "obrien"}, {"Ní Bhriain", "nibhriain"},
	{"Rossi", "rossi"}, {"Ferrari", "ferrari"}, {"Silva", "silva"}, {"Santos", "santos"}, {"Pérez", "perez"},
	{"López", "lopez"}, {"Novák", "novak"}, {"Horváth", "horvath"}, {"Schmidt", "schmidt"}, {"Schmitt", "schmitt"},
	{"Nguyen", "nguyen"}, {"Tran", "tran"}, {"Cohen", "cohen"}, {"Levi", "levi"}, {"Kaur", "kaur"},
	{"Singh", "singh"}, {"Mwangi", "mwangi"}, {"Otieno", "otieno"}, {"Kahale", "kahale"}, {"Zhou", "zhou"},
}

// lookAlikes are pairs of different people with confusable names; the
// generator uses them (in order) for a few regulars.
var lookAlikes = [][2]name{
	{{"John Smith", "john-smith"}, {"Jon Smyth", "jon-smyth"}},
	{{"Zoë Martin", "zoe-martin"}, {"Zoe Martin", "zoemartin"}},
	{{"Sara Schmidt", "sara-schmidt"}, {"Sarah Schmitt", "sarah-schmitt"}},
	{{"Wei Chen", "wei-chen"}, {"Wei Chen", "weichen-dev"}},
}

var companies = []string{"", "", "", "Acme Corp", "@initech", "Globex", "Umbrella Labs", "Freelance", "University of Tartu", "Hooli", "Stark Industries", "Wayne Enterprises"}

var locations = []string{"", "", "Berlin, Germany", "São Paulo", "Lagos", "Tokyo", "Bengaluru", "Montréal", "Kraków", "Nairobi", "Reykjavík", "Seoul", "Mexico City", "Portland, OR"}

var bios = []string{"", "", "Open source enthusiast.", "Backend engineer. Coffee.", "Maintainer of too many side projects", "Docs nerd ✍️", "SRE by day, synth nerd by night", "she/her · infra", "Student", "Building things with Go"}

var domains = []string{"gmail.com", "proton.me", "fastmail.com", "outlook.com", "posteo.de"}

var workDomains = []string{"acme.example", "initech.example", "globex.example", "hooli.example", "umbrella.example"}

var issueTitles = []string{
	"Crash when config file is empty", "Support for %s", "Docs: clarify %s setup", "Panic in %s on shutdown",
	"Feature request: export to %s", "Slow startup with large %s", "Typo in README", "Question: how to configure %s?",
	"Wrong timezone in %s", "Add Windows support", "Memory leak in %s", "Improve error message for %s",
}

var prTitles = []string{
	"Fix %s handling", "Add %s support", "docs: update %s section", "refactor: simplify %s", "test: cover %s",
	"chore: tidy %s", "perf: speed up %s", "Fix typo in %s",
}

var topics = []string{"YAML", "PostgreSQL", "SQLite", "Mastodon", "webhooks", "CSV", "the CLI", "proxy", "OAuth", "rate limits", "pagination", "i18n", "dark mode", "systemd", "Docker", "ARM64"}

var commentBodies = []string{
	"Thanks for the report!", "I can reproduce this on main.", "+1, same here.", "Would you accept a PR for this?",
	"Fixed in the latest release, can you try again?", "LGTM 👍", "Could you share your config?", "Merci ! 🎉",
	"Any update on this?", "Closing as duplicate.", "I had a look, the problem is in the parser.", "¡Gracias!",
}

var reviewBodies = []string{"", "LGTM", "A few nits, otherwise good.", "Please add a test.", "Nice work!", "Can we split this PR?"}

var reviewCommentBodies = []string{"nit: naming", "This could be a constant.", "Should we handle the error here?", "Typo", "Why is this needed?", "👍"}

var deps = []string{"golang.org/x/net", "github.com/google/go-cmp", "actions/checkout", "actions/setup-go", "modernc.org/sqlite", "golang.org/x/sys"}

// crossLookAlikes are off-GitHub namesakes of GitHub look-alikes: twin is
// the index of the namesake in lookAlikes flattened (pair*2+member), and
// platform where the namesake lives. No link joins the two.
var crossLookAlikes = []struct {
	name
	twin     int
	platform string
}{
	{name{"John Smith", "john-smith"}, 0, PlatformDiscourse},
	{name{"Wei Chen", "wei-chen"}, 6, PlatformStackOverflow},
	{name{"Sara Schmidt", "sara-schmidt"}, 4, PlatformMastodon},
	{name{"Zoe Martin", "zoe-martin"}, 2, PlatformStackOverflow},
}

// mastodonDomains are the home instances of remote Mastodon accounts.
var mastodonDomains = []string{"mastodon.social", "mastodon.social", "hachyderm.io", "hachyderm.io", "chaos.social", "infosec.exchange", "mas.to"}

var mastodonPosts = []string{
	"Just set up %s with #rollcall, took five minutes.",
	"Finally a CRM that understands our community. #rollcall",
	"Wrote a blog post about tracking contributors with #rollcall and %s",
	"Anyone running #rollcall behind a %s?",
	"Our open source health report now comes from #rollcall 📈",
	"TIL #rollcall merges my GitHub and Mastodon accounts. Spooky but nice.",
	"Giving a talk about community metrics and #rollcall next week!",
	"#rollcall tip: the champions page is great for picking swag recipients",
}

var mastodonMentions = []string{
	"Is there a way to import %s data?",
	"thanks for the quick fix of the %s bug!",
	"love the new release 🎉",
	"any plans for %s support?",
	"the docs on %s helped a lot, thank you",
	"small bug report: %s looks off on mobile",
}

var communityPosts = []string{
	"New blog post: how we count contributors across platforms",
	"Community call this Thursday, everyone welcome!",
	"Thank you to everyone who contributed this month 💜",
	"We are looking for help with %s, good first issues are tagged",
	"Office hours today at 16:00 UTC",
	"Did you know? Rollcall can run as a systemd service with zero config",
	"Tip: `rollcall doctor` checks your setup, including %s",
}

var discourseTitles = map[string][]string{
	"support":       {"How do I configure %s?", "Error after upgrading: %s", "Sync stops with %s", "Can't connect to %s", "Duplicate members after %s import", "Help with %s settings"},
	"ideas":         {"Idea: %s integration", "Proposal: better %s", "Would a %s exporter be useful?", "Feature wish: %s dashboard"},
	"show-and-tell": {"Our community dashboard built on %s", "Rollcall + %s: a writeup", "Running Rollcall on a Raspberry Pi with %s"},
}

var discourseReplies = []string{
	"Thanks, that worked!", "Can you post the output of `rollcall doctor`?", "Same problem here.",
	"This is fixed on main, a release is coming soon.", "Have a look at the docs on %s.", "+1 to this idea",
	"I wrote a small script for that, happy to share.", "Which version are you on?", "Great writeup, thanks for sharing!",
	"Try setting the interval higher, the API limits are strict.",
}

var soTitles = []string{
	"rollcall: how to configure %s source?", "rollcall sync fails with 403 from %s", "How to merge members in rollcall via %s",
	"rollcall daemon does not pick up %s config change", "Why does rollcall report duplicate %s accounts?",
	"rollcall with PostgreSQL: %s error on migration", "Rate limit errors when rollcall polls %s",
}

var soExtraTags = []string{"go", "sqlite", "postgresql", "docker", "systemd", "github-api", "mastodon", "yaml"}
