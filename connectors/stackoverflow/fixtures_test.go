package stackoverflow

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fixtureDir is /work/shared/fixtures/stackexchange, found relative to this
// package (connectors/stackoverflow inside the repository next to shared/).
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "stackexchange"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("recorded Stack Exchange responses missing (%v): skipping fixture decoding", err)
	}
	return dir
}

// TestFixtureWrapper decodes the common wrapper of every recorded response
// and checks that nothing the connector keeps is lost.
func TestFixtureWrapper(t *testing.T) {
	dir := fixtureDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "stackapi", "*"))
	if len(files) == 0 {
		t.Skip("no recorded responses under stackapi/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			body, err := decompress("", raw)
			if err != nil {
				t.Fatal(err)
			}
			var env envelope
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("decode wrapper: %v", err)
			}
			var generic map[string]any
			if err := json.Unmarshal(body, &generic); err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string]float64{"quota_max": float64(env.QuotaMax), "quota_remaining": float64(env.QuotaRemaining)} {
				if want, ok := generic[name].(float64); !ok || want != got {
					t.Errorf("%s = %v, recorded %v", name, got, generic[name])
				}
			}
			if want, _ := generic["has_more"].(bool); env.HasMore != want {
				t.Errorf("has_more = %v, recorded %v", env.HasMore, want)
			}
			if items, _ := generic["items"].([]any); len(items) == 0 {
				t.Errorf("no items decoded")
			}
		})
	}
}

// TestFixtureNetworkUsers translates the recorded network users of one
// account (/users/{ids}/associated): every one keeps its user_id as the
// account key and the shared account_id as NetworkID.
func TestFixtureNetworkUsers(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "stackapi", "test_users_associated"))
	if err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	var users []user
	if err := json.Unmarshal(env.Items, &users); err != nil {
		t.Fatal(err)
	}
	var generic []map[string]any
	if err := json.Unmarshal(env.Items, &generic); err != nil {
		t.Fatal(err)
	}
	if len(users) == 0 || len(users) != len(generic) {
		t.Fatalf("decoded %d users of %d", len(users), len(generic))
	}
	tr := translator{site: "stackoverflow"}
	for i, u := range users {
		g := generic[i]
		a, ok := tr.account(&u.shallowUser)
		if !ok {
			t.Errorf("item %d: no account", i)
			continue
		}
		if want := strconv.FormatFloat(g["user_id"].(float64), 'f', 0, 64); a.ExternalID != want {
			t.Errorf("item %d: ExternalID %s, recorded user_id %s", i, a.ExternalID, want)
		}
		if want := strconv.FormatFloat(g["account_id"].(float64), 'f', 0, 64); a.NetworkID != want {
			t.Errorf("item %d: NetworkID %s, recorded account_id %s", i, a.NetworkID, want)
		}
		if float64(u.Reputation) != g["reputation"].(float64) || float64(u.CreationDate) != g["creation_date"].(float64) {
			t.Errorf("item %d: reputation/creation_date lost: %+v vs %v", i, u, g)
		}
	}
}
