package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// incrementalTests check what incremental identity resolution needs of a
// store: dirty marks written with the batch, blocking keys found by key,
// and the resolver on top giving the members full runs give.
var incrementalTests = []struct {
	name string
	fn   func(t *testing.T, s crm.Store, inc identity.IncrementalStore, open func(t *testing.T) crm.Store)
}{
	{"DirtyMarksWithTheBatch", testDirtyMarks},
	{"IdentitiesByKeys", testIdentitiesByKeys},
	{"IncrementalEqualsFullRuns", testIncrementalEqualsFull},
}

func runIncremental(t *testing.T, open func(t *testing.T) crm.Store) {
	for _, tt := range incrementalTests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			inc, ok := s.(identity.IncrementalStore)
			if !ok {
				t.Fatalf("%T keeps no blocking keys: the resolver would re-resolve every identity on every run", s)
			}
			tt.fn(t, s, inc, open)
		})
	}
}

func dirtyOf(t *testing.T, inc identity.IncrementalStore) map[string]int64 {
	t.Helper()
	ds, err := inc.DirtyIdentities(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, d := range ds {
		out[d.AccountRef.String()] = d.Gen
	}
	return out
}

func testDirtyMarks(t *testing.T, s crm.Store, inc identity.IncrementalStore, _ func(t *testing.T) crm.Store) {
	ctx := context.Background()
	b := threeBatch()
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	d := dirtyOf(t, inc)
	if len(d) != 3 {
		t.Fatalf("after a batch of 3 new accounts, %d dirty identities (%v), want 3", len(d), d)
	}
	// Clearing with the generation read clears; a replay marks nothing.
	var ks []crm.IdentityKeys
	ds, _ := inc.DirtyIdentities(ctx, 0)
	for _, x := range ds {
		ks = append(ks, crm.IdentityKeys{IdentityID: x.ID, Keys: identity.BlockingKeys(x.Account), Gen: x.Gen})
	}
	st := crm.ResolverState{Rules: "test-rules", Decision: 7}
	if err := inc.SaveKeys(ctx, ks, &st); err != nil {
		t.Fatal(err)
	}
	if got, err := inc.ResolverState(ctx); err != nil || got != st {
		t.Errorf("ResolverState() = %+v, %v; want %+v", got, err, st)
	}
	if d := dirtyOf(t, inc); len(d) != 0 {
		t.Errorf("after SaveKeys, dirty identities %v, want none", d)
	}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	if d := dirtyOf(t, inc); len(d) != 0 {
		t.Errorf("a replayed batch marked %v dirty, want none", d)
	}
	// A changed profile and new evidence mark their identities.
	changed := profile("2", "ann-alt", "Ann Alt")
	changed.Emails = []string{"ann@example.org"}
	ev := connectors.Evidence{Kind: connectors.EvidenceCommitAuthorLogin, A: gh("3"), B: gh("1")}
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Accounts: []connectors.Account{changed}, Evidence: []connectors.Evidence{ev}, Next: cursor(`{"p":2}`, nil)}); err != nil {
		t.Fatal(err)
	}
	d = dirtyOf(t, inc)
	want := []string{gh("1").String(), gh("2").String(), gh("3").String()}
	got := make([]string, 0, len(d))
	for k := range d {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("after a changed profile and new evidence, dirty %v, want %v", got, want)
	}
	// A mark cleared with an older generation stays.
	ds, _ = inc.DirtyIdentities(ctx, 1)
	if len(ds) != 1 {
		t.Fatalf("DirtyIdentities(limit 1) gave %d", len(ds))
	}
	first := ds[0]
	again := profile(first.ExternalID, "renamed", "Renamed Person")
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Accounts: []connectors.Account{again}, Next: cursor(`{"p":3}`, nil)}); err != nil {
		t.Fatal(err)
	}
	if err := inc.SaveKeys(ctx, []crm.IdentityKeys{{IdentityID: first.ID, Keys: identity.BlockingKeys(first.Account), Gen: first.Gen}}, nil); err != nil {
		t.Fatal(err)
	}
	if g, ok := dirtyOf(t, inc)[first.AccountRef.String()]; !ok || g <= first.Gen {
		t.Errorf("changed while the resolver ran: mark %d, %v; want a newer one than %d", g, ok, first.Gen)
	}
}

func testIdentitiesByKeys(t *testing.T, s crm.Store, inc identity.IncrementalStore, _ func(t *testing.T) crm.Store) {
	ctx := context.Background()
	if _, err := s.Apply(ctx, "gh", threeBatch()); err != nil {
		t.Fatal(err)
	}
	ds, err := inc.DirtyIdentities(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Keys 1 and 2 are shared by all three; key 3 by the first only.
	var ks []crm.IdentityKeys
	for i, d := range ds {
		keys := []int64{1, -2}
		if i == 0 {
			keys = append(keys, 3)
		}
		ks = append(ks, crm.IdentityKeys{IdentityID: d.ID, Keys: keys, Gen: d.Gen})
	}
	if err := inc.SaveKeys(ctx, ks, nil); err != nil {
		t.Fatal(err)
	}
	ids, counts, err := inc.IdentitiesByKeys(ctx, []int64{1, -2, 3, 99}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int{1: 3, -2: 3, 3: 1}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	if len(ids) != 1 || ids[0].ID != ds[0].ID {
		t.Errorf("identities under keys with at most 2: %v, want only identity %d", ids, ds[0].ID)
	}
	// Keys replaced, not added.
	if err := inc.SaveKeys(ctx, []crm.IdentityKeys{{IdentityID: ds[0].ID, Keys: []int64{5}}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, counts, _ := inc.IdentitiesByKeys(ctx, []int64{1, 3, 5}, 10, nil); counts[1] != 2 || counts[3] != 0 || counts[5] != 1 {
		t.Errorf("after replacing identity %d's keys: counts %v, want 1:2 5:1", ds[0].ID, counts)
	}
	// Members and evidence.
	if err := s.(identity.Store).Assign(ctx, []crm.Assignment{{IdentityID: ds[0].ID}, {IdentityID: ds[1].ID, SameAs: ds[0].ID}}); err != nil {
		t.Fatal(err)
	}
	one, _, _ := inc.IdentitiesByKeys(ctx, []int64{5}, 10, nil)
	if len(one) != 1 || one[0].MemberID == 0 {
		t.Fatalf("identity %d has no member after Assign", ds[0].ID)
	}
	of, err := inc.IdentitiesOfMembers(ctx, []int64{one[0].MemberID}, nil)
	if err != nil || len(of) != 2 {
		t.Errorf("IdentitiesOfMembers = %d identities, %v; want 2", len(of), err)
	}
	// An identity the caller knows is returned as it knows it, in its
	// place in id order; the others are read.
	mark := one[0]
	mark.Name = "as the caller read it"
	known := func(id int64) (crm.Identity, bool) { return mark, id == mark.ID }
	kof, err := inc.IdentitiesOfMembers(ctx, []int64{one[0].MemberID}, known)
	if err != nil || len(kof) != 2 || kof[0].ID >= kof[1].ID {
		t.Fatalf("IdentitiesOfMembers with one known = %v, %v; want 2 in id order", kof, err)
	}
	for i, id := range kof {
		if id.ID == mark.ID && id.Name != mark.Name || id.ID != mark.ID && (id.ID != of[i].ID || id.Name != of[i].Name || id.AccountRef != of[i].AccountRef) {
			t.Errorf("IdentitiesOfMembers with identity %d known: %d is %+v; want the known one, or the one read", mark.ID, i, id)
		}
	}
	all, _, _ := inc.IdentitiesByKeys(ctx, []int64{5, 1}, 10, nil)
	kb, _, err := inc.IdentitiesByKeys(ctx, []int64{5, 1}, 10, known)
	if err != nil || len(kb) != 3 || len(all) != 3 || kb[0].ID != mark.ID || kb[0].Name != mark.Name ||
		kb[1].ID != all[1].ID || kb[1].Name != all[1].Name || kb[2].ID != all[2].ID || kb[2].Name != all[2].Name {
		t.Errorf("IdentitiesByKeys with identity %d known = %v, %v; want it as known, then the two others read: %v", mark.ID, kb, err, all)
	}
	ev := connectors.Evidence{Kind: connectors.EvidenceCommitAuthorLogin, A: gh("3"), B: gh("1")}
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Evidence: []connectors.Evidence{ev}, Next: cursor(`{"p":2}`, nil)}); err != nil {
		t.Fatal(err)
	}
	var found []string
	err = inc.EvidenceAmong(ctx, []connectors.AccountRef{gh("1")}, func(kind string, a, b connectors.AccountRef) error {
		found = append(found, kind+" "+a.String()+" "+b.String())
		return nil
	})
	if err != nil || len(found) != 1 {
		t.Errorf("EvidenceAmong(gh 1) = %v, %v; want the one link", found, err)
	}
}

// people builds n accounts of about n/3 people: GitHub logins with their
// names, commit authors with one to three addresses, name variants and
// some shared first names, deterministic for a seed.
func people(n int) []connectors.Account {
	r := rand.New(rand.NewPCG(9, uint64(n)))
	firsts := []string{"Ana", "Bo", "Cyril", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jana", "Karim", "Lena"}
	lasts := []string{"Novak", "Horvat", "Kovac", "Babic", "Maric", "Petrovic", "Juric", "Vukovic", "Knezevic", "Markovic", "Petric", "Tomic"}
	var out []connectors.Account
	for p := 0; len(out) < n; p++ {
		first, last := firsts[r.IntN(len(firsts))], lasts[r.IntN(len(lasts))]
		login := strings.ToLower(first[:1]+last) + fmt.Sprint(p)
		gh := connectors.Account{AccountRef: connectors.AccountRef{Platform: connectors.PlatformGitHub, Instance: "github.com", ExternalID: fmt.Sprint(1000 + p)},
			Username: login, Name: first + " " + last}
		out = append(out, gh)
		for k := range 1 + r.IntN(3) {
			email := fmt.Sprintf("%s.%s%d@example%d.org", strings.ToLower(first), strings.ToLower(last), p, k)
			if k == 2 {
				email = fmt.Sprintf("%d+%s@users.noreply.github.com", 1000+p, login)
			}
			name := first + " " + last
			if r.IntN(3) == 0 {
				name = first[:1] + ". " + last
			}
			out = append(out, connectors.Account{AccountRef: connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: email},
				Username: email, Name: name, Emails: []string{email}})
		}
	}
	return out[:n]
}

// testIncrementalEqualsFull feeds the same accounts in the same random
// batches to this store resolved incrementally and to a second store
// resolved in full after every batch: the members are the same, and only
// the first incremental run reads every identity.
func testIncrementalEqualsFull(t *testing.T, s crm.Store, _ identity.IncrementalStore, open func(t *testing.T) crm.Store) {
	ctx := context.Background()
	accts := people(150)
	r := rand.New(rand.NewPCG(3, 14))
	r.Shuffle(len(accts), func(i, j int) { accts[i], accts[j] = accts[j], accts[i] })
	partitionOf := func(st crm.Store) []string {
		byMember := map[int64][]string{}
		err := st.(crm.IdentityStore).AllIdentities(ctx, func(id crm.Identity) error {
			byMember[id.MemberID] = append(byMember[id.MemberID], id.AccountRef.String())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for m, keys := range byMember {
			if m == 0 {
				t.Errorf("identities with no member: %v", keys)
			}
			slices.Sort(keys)
			out = append(out, strings.Join(keys, " "))
		}
		slices.Sort(out)
		return out
	}
	// The full runs go to a second new store of the same kind, fed the
	// same batches.
	inc, full := &identity.Resolver{}, &identity.Resolver{}
	twin := open(t)
	runs, fulls := 0, 0
	for len(accts) > 0 {
		n := min(len(accts), 1+r.IntN(25))
		b := connectors.Batch{Accounts: accts[:n], Next: cursor(fmt.Sprintf(`{"n":%d}`, len(accts)), nil)}
		accts = accts[n:]
		for _, st := range []crm.Store{s, twin} {
			if _, err := st.Apply(ctx, "src", b); err != nil {
				t.Fatal(err)
			}
		}
		res, err := inc.Run(ctx, s.(identity.Store))
		if err != nil {
			t.Fatal(err)
		}
		runs++
		if res.Full {
			fulls++
		}
		if _, err := full.Rebuild(ctx, twin.(identity.Store)); err != nil {
			t.Fatal(err)
		}
		if got, want := partitionOf(s), partitionOf(twin); !slices.Equal(got, want) {
			t.Fatalf("after %d batches, incremental members differ from full runs:\n got %q\nwant %q", runs, got, want)
		}
	}
	if fulls != 1 {
		t.Errorf("%d of %d runs resolved in full, want only the first", fulls, runs)
	}
}
