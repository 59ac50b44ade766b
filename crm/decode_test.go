package crm

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// TestDecodeTalliesAndChannelsAsJSON: the direct readers of the stored
// tallies and channels give what encoding/json gives, for what
// EncodeTallies and EncodeChannels write and for odd input (which they
// leave to encoding/json, errors included).
func TestDecodeTalliesAndChannelsAsJSON(t *testing.T) {
	viaJSONTallies := func(s string) (map[string]Tally, error) {
		var m map[string][2]float64
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, err
		}
		out := make(map[string]Tally, len(m))
		for k, v := range m {
			out[k] = Tally{Count: int(v[0]), Base: v[1]}
		}
		return out, nil
	}
	tallies := []string{`{}`, `{"a":[1,2.5]}`, `{"a":[1,2.5],"b":[3,-1e-7]}`, `{"a":[1.5,2]}`, `{"a":[1,2],"a":[3,4]}`,
		`{"a\\u0041":[1,2]}`, `{ "a":[1,2]}`, `{"a":[1,2],}`, `{"a":[+1,2]}`, `{"a":[.5,2]}`, `{"a":[1,2,3]}`, `{"a":[01,2]}`,
		`{"a":[1,2E+3]}`, `{"é":[1,2]}`, "{\"\xff\":[1,2]}", `{"a":[1,Infinity]}`, `{"a":[1]}`, `null`, ``, `{"a":[1,2]`}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		m := map[string]Tally{}
		for range r.IntN(5) {
			var tl Tally
			for range 1 + r.IntN(50) {
				tl.Add(time.Unix(r.Int64N(2e9), r.Int64N(1e9)), 0.5+r.Float64()/2)
			}
			m[fmt.Sprint("type", r.IntN(20))] = tl
		}
		tallies = append(tallies, EncodeTallies(m))
	}
	for _, s := range tallies {
		want, werr := viaJSONTallies(s)
		got, gerr := DecodeTallies(s)
		if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeTallies(%q) = %v, %v; encoding/json: %v, %v", s, got, gerr, want, werr)
		}
	}
	channels := []string{`[]`, `["a"]`, `["a","b c","é"]`, `["a\"b"]`, `["<x>"]`, `[ "a"]`, `["a",]`, `[1]`, `null`, "[\"\x01\"]", "[\"\xff\"]", ``,
		EncodeChannels([]string{"o/r", "#tag", "a<b>&c", "ünï"}), EncodeChannels(nil)}
	for _, s := range channels {
		var want []string
		werr := json.Unmarshal([]byte(s), &want)
		got, gerr := DecodeChannels(s)
		if werr != nil {
			want = nil
		}
		if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeChannels(%q) = %#v, %v; encoding/json: %#v, %v", s, got, gerr, want, werr)
		}
		// DecodeSet reads the same, an empty array as nil.
		if len(want) == 0 {
			want = nil
		}
		if got, gerr := DecodeSet(s); (werr != nil) != (gerr != nil) || !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeSet(%q) = %#v, %v; encoding/json: %#v, %v", s, got, gerr, want, werr)
		}
	}
	for _, set := range [][]string{nil, {"jane@example.org"}, {"a@b.c", "x\"y@z", "<u>@h.io", "ünï@x.org"}, {"https://x.org/?a=1&b=2"}} {
		if got, err := DecodeSet(EncodeSet(set)); err != nil || !reflect.DeepEqual(got, set) {
			t.Errorf("DecodeSet(EncodeSet(%q)) = %q, %v", set, got, err)
		}
	}
}

// TestDecodedKeepsNoRowText: the decoded tally types and channels are
// copies, not parts of the row's text (a part keeps the whole string
// alive, so a read of every identity would hold every row's text), and
// the identities of one read (one Interner) share each copy.
func TestDecodedKeepsNoRowText(t *testing.T) {
	inside := func(v, s string) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(v))), uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return len(v) > 0 && p >= lo && p < lo+uintptr(len(s))
	}
	for _, in := range []Interner{nil, {}} {
		var firstType, firstChannel string
		for i := range 3 {
			tallies := fmt.Sprintf(`{"issue_comment":[%d,1.5],"pull_request":[2,0.25]}`, i+1)
			channels := fmt.Sprintf(`["acme/widget","acme/gadget-%d"]`, i)
			tl, err := DecodeTalliesWith(tallies, in)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := DecodeChannelsWith(channels, in)
			if err != nil {
				t.Fatal(err)
			}
			for k := range tl {
				if inside(k, tallies) {
					t.Errorf("interner %v: tally type %q is part of the row's text", in != nil, k)
				}
				if k == "issue_comment" {
					if i == 0 {
						firstType = k
					} else if in != nil && unsafe.StringData(k) != unsafe.StringData(firstType) {
						t.Errorf("tally type %q not shared across identities of one read", k)
					}
				}
			}
			for _, c := range ch {
				if inside(c, channels) {
					t.Errorf("interner %v: channel %q is part of the row's text", in != nil, c)
				}
			}
			if i == 0 {
				firstChannel = ch[0]
			} else if in != nil && unsafe.StringData(ch[0]) != unsafe.StringData(firstChannel) {
				t.Errorf("channel %q not shared across identities of one read", ch[0])
			}
			if tl["issue_comment"].Count != i+1 || len(ch) != 2 {
				t.Errorf("decoded %v, %v", tl, ch)
			}
		}
	}
}
