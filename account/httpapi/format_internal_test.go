package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"":               0,
		"1.0.0":          1_000_000,
		"1.4.0":          Format14,
		" 1.5.0 ":        Format15,
		"1.5":            Format15,
		"1.6.0-rc.1":     1_006_000,
		"2.3.0":          2_003_000,
		"1.4.1000":       0,
		"1.4.0.1":        0,
		"1.x.0":          0,
		"-1.4.0":         0,
		"99999999999999": 0,
	} {
		if got := ParseFormat(in); got != want {
			t.Errorf("ParseFormat(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestFormatTableNamesRealFields: every field the table drops exists in
// its model, so a typo cannot silently leave a field in old formats.
func TestFormatTableNamesRealFields(t *testing.T) {
	models := map[string]reflect.Type{}
	for _, m := range []apiModel{AccountModel{}, SessionModel{}, TokenModel{}, IdentityModel{}} {
		models[m.modelName()] = reflect.TypeOf(m)
	}
	for _, a := range formatAdditions {
		typ, ok := models[a.model]
		if !ok {
			t.Fatalf("table names unknown model %q", a.model)
		}
		for _, f := range a.fields {
			found := false
			for i := 0; i < typ.NumField(); i++ {
				if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); name == f {
					found = true
				}
			}
			if !found {
				t.Errorf("model %s has no field %q", a.model, f)
			}
		}
	}
}

// TestMarshalForMatchesJSON: with nothing to drop, the shaped encoding is
// byte for byte json.Marshal's, escaping included.
func TestMarshalForMatchesJSON(t *testing.T) {
	v := SessionListModel{Total: 1, Sessions: []SessionModel{{ID: "<a&b>", Factors: []string{"password"}, Current: true}}}
	want, _ := json.Marshal(v)
	got, err := MarshalFor(v, 2_003_000)
	if err != nil || string(got) != string(want) {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	old, _ := MarshalFor(v, 0)
	if strings.Contains(string(old), "factors") || !strings.Contains(string(old), `"$id":"\u003ca\u0026b\u003e"`) {
		t.Fatalf("1.3: %s", old)
	}
	empty, _ := MarshalFor(SessionListModel{}, 0)
	if string(empty) != `{"total":0,"sessions":null}` {
		t.Fatalf("nil list: %s", empty)
	}
}

// TestShapedSelfReference: a type that refers to itself is walked once.
func TestShapedSelfReference(t *testing.T) {
	type node struct {
		Next    *node
		Session SessionModel
	}
	type plain struct{ Next *plain }
	if !shaped(reflect.TypeFor[node]()) || shaped(reflect.TypeFor[plain]()) {
		t.Fatal("self-referential types misjudged")
	}
}

// Types for TestShapedEmbedding: embedded structs, exported or not, by
// value or pointer, tagged or not.
type (
	embeddedInner struct {
		A string `json:"a"`
		b string
	}
	EmbeddedExported struct {
		C string `json:"c"`
	}
	EmbeddedPointer struct {
		D int `json:"d"`
	}
	embeddedOuter struct {
		ID string `json:"$id"`
		embeddedInner
		*EmbeddedExported
		*EmbeddedPointer
		Tagged  embeddedInner `json:"tagged"`
		Session SessionModel  `json:"session"`
		Last    string        `json:"last"`
	}
)

// TestShapedEmbedding: the shaped encoder inlines embedded structs where
// they stand, as json.Marshal does, so that models can share a struct
// of fields (the device fields of sessions and logs); what a format
// predates is still dropped from an embedded struct's fields.
func TestShapedEmbedding(t *testing.T) {
	sess := SessionModel{ID: "s", Factors: []string{"password"}}
	sess.DeviceModel = DeviceModel{OSCode: "WIN", ClientName: "Chrome", DeviceModel: "<x>"}
	for _, v := range []embeddedOuter{
		{ID: "1", embeddedInner: embeddedInner{A: "a", b: "hidden"}, Session: sess, Last: "z"},
		{ID: "2", EmbeddedExported: &EmbeddedExported{C: "c"}, EmbeddedPointer: &EmbeddedPointer{D: 4},
			Tagged: embeddedInner{A: "t"}, Session: sess},
	} {
		want, _ := json.Marshal(v)
		got, err := MarshalFor(v, 2_003_000)
		if err != nil || string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
	if !strings.Contains(string(mustMarshal(t, sess, 2_003_000)), `"ip":"","osCode":"WIN","osName":""`) {
		t.Fatal("device fields not in their place after ip")
	}
	// An embedded struct's field is dropped like any other: the 1.3
	// session has no $updatedAt, wherever the field is declared.
	es := embeddedSession{ID: "s", embeddedDates: embeddedDates{UpdatedAt: "u", Expire: "e"}}
	if got := string(mustMarshal(t, es, 0)); got != `{"$id":"s","expire":"e"}` {
		t.Fatalf("1.3 session with embedded dates: %s", got)
	}
	if got, want := string(mustMarshal(t, es, 2_003_000)), `{"$id":"s","$updatedAt":"u","expire":"e"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

type embeddedDates struct {
	UpdatedAt string `json:"$updatedAt"`
	Expire    string `json:"expire"`
}

// embeddedSession is shaped as the session model.
type embeddedSession struct {
	ID string `json:"$id"`
	embeddedDates
}

func (embeddedSession) modelName() string { return "session" }

func mustMarshal(t *testing.T, v any, f Format) []byte {
	t.Helper()
	b, err := MarshalFor(v, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
