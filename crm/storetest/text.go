package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// poison sets every exported string of v (a pointer to a struct), in
// nested structs and string lists too, to its field name followed by a NUL
// byte and an invalid UTF-8 byte: text PostgreSQL refuses.
func poison(v reflect.Value) {
	v = v.Elem()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		bad := sf.Name + "\x00\xff"
		switch {
		case f.Kind() == reflect.String:
			f.SetString(bad)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf([]string{bad}))
		case f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}):
			poison(f.Addr())
		}
	}
}

// testUnstorableText: a batch whose every text field carries a NUL byte
// (JSON's \u0000) and invalid UTF-8 commits, cleaned as crm.Storable says,
// instead of failing on every retry and stopping its source; the caller's
// batch is left alone, a replay finds what it stored, and lookups by the
// raw ref find the account.
func testUnstorableText(t *testing.T, s crm.Store) {
	ctx := context.Background()
	var acc, other connectors.Account
	poison(reflect.ValueOf(&acc))
	poison(reflect.ValueOf(&other))
	other.ExternalID = "other\x00"
	acc.ProfileFetchedAt = t0
	var act connectors.Activity
	poison(reflect.ValueOf(&act))
	act.Actor, act.OccurredAt = acc.AccountRef, t0
	act.Reactions = &connectors.Reactions{Total: 2, ByKind: map[string]int{"+1\x00": 1, "+1": 1}}
	var ev connectors.Evidence
	poison(reflect.ValueOf(&ev))
	ev.A, ev.B = acc.AccountRef, other.AccountRef
	b := connectors.Batch{Accounts: []connectors.Account{acc, other}, Activities: []connectors.Activity{act}, Evidence: []connectors.Evidence{ev},
		Next: connectors.Cursor{State: []byte(`{"page":2}`)}}
	res, err := s.Apply(ctx, "src", b)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.NewActivities != 1 || res.NewAccounts != 2 {
		t.Errorf("Apply = %+v, want 1 activity, 2 accounts", res)
	}
	if b.Accounts[0].Name != "Name\x00\xff" || b.Activities[0].Text != "Text\x00\xff" {
		t.Errorf("Apply changed its caller's batch: %q, %q", b.Accounts[0].Name, b.Activities[0].Text)
	}
	if res, err := s.Apply(ctx, "src", b); err != nil || res.NewActivities != 0 || res.NewAccounts != 0 {
		t.Errorf("replay = %+v, %v; want nothing new", res, err)
	}
	id, err := s.IdentityByRef(ctx, crm.StorableRef(acc.AccountRef))
	if err != nil {
		t.Fatalf("IdentityByRef: %v", err)
	}
	if id.Name != "Name\uFFFD" || id.ExternalID != "ExternalID\uFFFD" || len(id.Emails) != 1 || id.Emails[0] != "Emails\uFFFD" {
		t.Errorf("stored identity = %q %q %q, want the text without NUL, invalid bytes as U+FFFD", id.Name, id.ExternalID, id.Emails)
	}
	if at, ok, err := s.ProfileFetchedAt(ctx, acc.AccountRef); err != nil || !ok || !at.Equal(t0) {
		t.Errorf("ProfileFetchedAt(raw ref) = %v, %v, %v; want %v", at, ok, err, t0)
	}
}
