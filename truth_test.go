package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			t.Logf("seed %s: %d members for %d persons; pairwise recall %d/%d = %.3f (precision: no false merge)", seed, len(ms), len(truth.Persons), pairsAll, pairsTrue, float64(pairsAll)/float64(max(pairsTrue, 1)))
		})
	}
}
