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
