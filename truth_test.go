package main

import (
	"encoding/json"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// TestDemoMembersAgainstTruth runs the whole pipeline (the four fakes, the
// connectors, the store and the resolver) and compares the members with the
// generator's ground truth: no member may hold accounts of two persons, and
// no impostor may be merged with anyone.
func TestDemoMembersAgainstTruth(t *testing.T) {
	for _, seed := range []string{"1", "7"} {
		t.Run("seed"+seed, func(t *testing.T) {
			dir := t.TempDir()
			db, truthPath := filepath.Join(dir, "demo.db"), filepath.Join(dir, "truth.json")
			code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--seed", seed, "--size", "120", "--store", db, "--truth", truthPath, "--log-level", "error")
			if code != exitOK {
				t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
			}
			var truth struct {
				Persons []struct {
					ID       string `json:"id"`
					Kind     string `json:"kind"`
					Accounts []struct {
						Platform   string `json:"platform"`
						Username   string `json:"username"`
						ExternalID string `json:"external_id"`
					} `json:"accounts"`
				} `json:"persons"`
			}
			b, err := os.ReadFile(truthPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &truth); err != nil {
				t.Fatal(err)
			}
			personOf := map[string]string{} // platform + external id -> person
			kindOf := map[string]string{}
			for _, p := range truth.Persons {
				kindOf[p.ID] = p.Kind
				for _, a := range p.Accounts {
					id := a.ExternalID
					if a.Platform == "git" {
						id = strings.ToLower(a.Username)
					}
					personOf[a.Platform+"/"+id] = p.ID
				}
			}
			ms := listMembers(t, db)
			pairsTrue, pairsAll := 0, 0
			for _, m := range ms {
				persons := map[string]bool{}
				known := 0
				for _, id := range m.Identities {
					p, ok := personOf[id.Platform+"/"+strings.ToLower(id.ExternalID)]
					if !ok && id.Platform == "git" {
						// A commit address GitHub linked to a login: the
						// truth lists only unlinked ones; the forge's own
						// link put it here.
						continue
					}
					if !ok {
						t.Errorf("member %d: identity %s:%s is in no person of the truth", m.ID, id.Platform, id.Username)
						continue
					}
					persons[p] = true
					known++
				}
				if len(persons) > 1 {
					var names []string
					for p := range persons {
						names = append(names, p+"("+kindOf[p]+")")
					}
					t.Errorf("false merge: member %d holds accounts of %v", m.ID, names)
				}
				pairsAll += known * (known - 1) / 2
			}
			// Recall, for the record: pairs of accounts of one person that
			// ended in one member.
			for _, p := range truth.Persons {
				n := len(p.Accounts)
				pairsTrue += n * (n - 1) / 2
			}
			checkLinksMerged(t, db)
			t.Logf("seed %s: %d members for %d persons; pairwise recall %d/%d = %.3f (precision: no false merge)", seed, len(ms), len(truth.Persons), pairsAll, pairsTrue, float64(pairsAll)/float64(max(pairsTrue, 1)))
		})
	}
}

// checkLinksMerged checks, in the store, that every link a platform
// verified and every mutual link (A's profile points to B's and B's back to
// A) ended in one member.
func checkLinksMerged(t *testing.T, db string) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := st.Members(t.Context(), crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	norm := func(u string) string { return strings.TrimSuffix(strings.ToLower(u), "/") }
	type ident struct {
		member int64
		id     crm.Identity
	}
	byURL := map[string]ident{}
	var all []ident
	for _, m := range ms {
		for _, id := range m.Identities {
			x := ident{m.ID, id}
			all = append(all, x)
			if id.URL != "" {
				byURL[norm(id.URL)] = x
			}
		}
	}
	verified, mutual := 0, 0
	for _, a := range all {
		for _, u := range a.id.VerifiedLinks {
			b, ok := byURL[norm(u)]
			if !ok {
				continue
			}
			verified++
			if b.member != a.member {
				t.Errorf("verified link not merged: %s:%s -> %s:%s", a.id.Platform, a.id.Username, b.id.Platform, b.id.Username)
			}
		}
		for _, u := range a.id.Links {
			b, ok := byURL[norm(u)]
			if !ok || a.id.URL == "" {
				continue
			}
			back := false
			for _, v := range b.id.Links {
				back = back || norm(v) == norm(a.id.URL)
			}
			if !back {
				continue
			}
			mutual++
			if b.member != a.member {
				t.Errorf("mutual link not merged: %s:%s <-> %s:%s", a.id.Platform, a.id.Username, b.id.Platform, b.id.Username)
			}
		}
	}
	if verified == 0 || mutual == 0 {
		t.Errorf("the demo has %d verified and %d mutual links between stored profiles; want some of each", verified, mutual)
	}
	t.Logf("%d verified and %d mutual links between stored profiles, all merged", verified, mutual)
}
