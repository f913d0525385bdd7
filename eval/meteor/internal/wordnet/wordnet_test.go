package wordnet

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
)

func embeddedDB(t *testing.T) *DB {
	t.Helper()
	db, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Examples from the documentation of NLTK's wordnet.morphy.
func TestMorphyNLTKDocExamples(t *testing.T) {
	db := embeddedDB(t)
	cases := []struct {
		word, pos string
		want      []string
	}{
		{"dogs", "n", []string{"dog"}},
		{"churches", "n", []string{"church"}},
		{"aardwolves", "n", []string{"aardwolf"}},
		{"abaci", "n", []string{"abacus"}},
		{"hardrock", "r", nil},
		{"book", "n", []string{"book"}},
		{"book", "a", nil},
		{"better", "a", []string{"better", "good", "well"}},
		{"running", "v", []string{"run"}},
	}
	for _, c := range cases {
		if got := db.Morphy(c.word, c.pos); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Morphy(%q, %q) = %q, want %q", c.word, c.pos, got, c.want)
		}
	}
}

// The synonym facts the fixture README states for METEOR's WordNet stage.
func TestSynonymSet(t *testing.T) {
	db := embeddedDB(t)
	has := func(word, syn string) bool { return db.SynonymSet(word)[syn] }
	for _, c := range []struct {
		word, syn string
		want      bool
	}{
		{"chest", "thorax", true},
		{"show", "present", true},
		{"big", "larg", false},
		{"big", "large", true},
		{"littl", "small", false},
		{"chest", "chest", true},
		{"x-ray", "X-ray", true},
		{"zzzz", "zzzz", true},
	} {
		if got := has(c.word, c.syn); got != c.want {
			t.Errorf("SynonymSet(%q)[%q] = %v, want %v", c.word, c.syn, got, c.want)
		}
	}
	for name := range db.SynonymSet("chest") {
		if strings.Contains(name, "_") {
			t.Errorf("lemma name with underscore %q in synonym set", name)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	good := "#pos n\nS dog domestic_dog\nI dog 0\nE dogs dog\n#pos v\n#pos a\n#pos r\n"
	db, err := Load(bytes.NewReader(gz(good)))
	if err != nil {
		t.Fatalf("valid table: %v", err)
	}
	if got := db.SynonymSet("dogs"); !got["dog"] {
		t.Errorf("SynonymSet(dogs) = %v, want dog in it", got)
	}
	for name, bad := range map[string]string{
		"not gzip":       "",
		"record first":   "S a\n",
		"unknown pos":    "#pos q\n",
		"bad synset ref": "#pos n\nS a\nI a 7\n",
		"no synsets":     "#pos n\nI a\n",
		"unknown record": "#pos n\nQ a\n",
	} {
		data := gz(bad)
		if name == "not gzip" {
			data = []byte("plain text")
		}
		if _, err := Load(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
