package postgres_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

// poison sets every exported string of v (a pointer to a struct), in
// nested structs and string lists too, to its field name followed by a NUL
// byte and an invalid UTF-8 byte: what PostgreSQL refuses in text.
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

// TestApplyStoresTextPostgreSQLRefuses: a batch whose every text field
// carries a NUL byte (JSON's \u0000) and invalid UTF-8 commits, without
// them, instead of failing on every retry and stopping its source; a
// replay finds what it stored.
func TestApplyStoresTextPostgreSQLRefuses(t *testing.T) {
	s := open(t, pgtest.URL(t))
	var acc, other connectors.Account
	poison(reflect.ValueOf(&acc))
	poison(reflect.ValueOf(&other))
	other.ExternalID = "other\x00"
	var act connectors.Activity
	poison(reflect.ValueOf(&act))
	act.Actor, act.OccurredAt = acc.AccountRef, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	act.Reactions = &connectors.Reactions{Total: 2, ByKind: map[string]int{"+1\x00": 1, "+1": 1}}
	var ev connectors.Evidence
	poison(reflect.ValueOf(&ev))
	ev.A, ev.B = acc.AccountRef, other.AccountRef
	b := connectors.Batch{Accounts: []connectors.Account{acc, other}, Activities: []connectors.Activity{act}, Evidence: []connectors.Evidence{ev},
		Next: connectors.Cursor{State: []byte(`{"page":2}`)}}
	res, err := s.Apply(t.Context(), "src", b)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.NewActivities != 1 || res.NewAccounts != 2 {
		t.Errorf("Apply = %+v, want 1 activity, 2 accounts", res)
	}
	if acc.Name != "Name\x00\xff" || b.Activities[0].Text != "Text\x00\xff" {
		t.Errorf("Apply changed its caller's batch: %q, %q", acc.Name, b.Activities[0].Text)
	}
	res, err = s.Apply(t.Context(), "src", b)
	if err != nil || res.NewActivities != 0 || res.NewAccounts != 0 {
		t.Errorf("replay = %+v, %v; want nothing new", res, err)
	}
	var all strings.Builder
	for _, tb := range crm.CopyTables {
		rows, err := s.CopyRows(t.Context(), tb, nil, 1000)
		if err != nil {
			t.Fatalf("CopyRows %s: %v", tb.Name, err)
		}
		fmt.Fprintln(&all, tb.Name, rows)
	}
	for _, want := range []string{"Name\uFFFD", "Title\uFFFD", "Key\uFFFD", "ExternalID\uFFFD"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("stored rows lack %q:\n%s", want, all.String())
		}
	}
}
