package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePredictions(t *testing.T) {
	cases := []struct {
		name, file, data, format string
		want                     []string
	}{
		{"lines", "p.txt", "a b\n\nc\n", "auto", []string{"a b", "", "c"}},
		{"no final newline", "p.txt", "a\nb", "auto", []string{"a", "b"}},
		{"crlf and bom", "p.txt", "\xef\xbb\xbfa\r\nb\r\n", "auto", []string{"a", "b"}},
		{"empty file", "p.txt", "", "auto", []string{}},
		{"jsonl", "p.jsonl", "{\"prediction\": \"x\\ny\", \"image\": 1}\n\n  \n{\"prediction\": \"\"}\n", "auto", []string{"x\ny", ""}},
		{"jsonl forced", "p.txt", "{\"prediction\": \"z\"}\n", "jsonl", []string{"z"}},
		{"lines forced", "p.jsonl", "{\"prediction\": \"z\"}\n", "lines", []string{"{\"prediction\": \"z\"}"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePredictions(tc.file, []byte(tc.data), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseReferences(t *testing.T) {
	cases := []struct {
		name, file, data, format string
		want                     [][]string
	}{
		{"lines", "r.txt", "a\n\nb\n", "auto", [][]string{{"a"}, {""}, {"b"}}},
		{"blocks", "r.txt", "\n\na1\na2\n\n \t\nb1\n\nc1\nc2\nc3\n\n", "blocks", [][]string{{"a1", "a2"}, {"b1"}, {"c1", "c2", "c3"}}},
		{"blocks crlf", "r.txt", "a1\r\na2\r\n\r\nb1\r\n", "blocks", [][]string{{"a1", "a2"}, {"b1"}}},
		{"jsonl", "r.jsonl", "{\"references\": [\"a\", \"b\\nc\"]}\n{\"reference\": \"d\"}\n", "auto", [][]string{{"a", "b\nc"}, {"d"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReferences(tc.file, []byte(tc.data), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseReferencesErrors(t *testing.T) {
	cases := []struct {
		name, data, format, want string
	}{
		{"broken JSON", "{\"references\": [\"a\"]}\n\n{\"references\": [\"a\"\n", "jsonl", "r:3: invalid JSON"},
		{"not an object", "\"a\"\n", "jsonl", "r:1: invalid JSON: expected an object"},
		{"trailing data", "{\"reference\": \"a\"} {}\n", "jsonl", "r:1: invalid JSON: extra data after the object"},
		{"both fields", "{\"reference\": \"a\", \"references\": [\"b\"]}\n", "jsonl", "r:1: both"},
		{"wrong type", "{\"references\": \"a\"}\n", "jsonl", "r:1: invalid JSON"},
		{"null entry", "{\"references\": [\"a\", null]}\n", "jsonl", ""},
		{"invalid UTF-8", "a\n\xc3\x28\n", "blocks", "r:2: invalid UTF-8"},
		{"bad format", "a\n", "tsv", `references format "tsv"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReferences("r", []byte(tc.data), tc.format)
			if tc.want == "" {
				// encoding/json turns null into "" in a []string; accept,
				// but the result must still be one list per record.
				if err != nil || len(got) != 1 {
					t.Errorf("got %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// FuzzParseReferences: the references parser never panics, and what it
// returns is well formed for each format: lines gives one reference per
// line, blocks gives non-empty blocks of non-blank lines, jsonl gives
// non-empty lists.
func FuzzParseReferences(f *testing.F) {
	seeds := []string{
		"", "a\nb\n", "a1\na2\n\nb1\n", "\r\n\r\n", "{\"references\": [\"a\"]}\n", "{\"reference\": \"b\"}\n{",
		"\xef\xbb\xbf\xff\n", "{\"references\": []}", "{} {}", "[\"x\"]\n",
	}
	for _, s := range seeds {
		for _, format := range []string{"lines", "blocks", "jsonl", "auto"} {
			f.Add(s, format)
		}
	}
	f.Fuzz(func(t *testing.T, data, format string) {
		refs, err := parseReferences("r.txt", []byte(data), format)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "r.txt") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for i, r := range refs {
			if len(r) == 0 {
				t.Fatalf("format %s: prediction %d got no references from %q", format, i, data)
			}
			if format == "blocks" {
				for _, s := range r {
					if isBlank(s) || strings.ContainsAny(s, "\n") {
						t.Fatalf("blocks: bad reference %q from %q", s, data)
					}
				}
			}
		}
		preds, err := parsePredictions("r.txt", []byte(data), format)
		if err == nil && (format == "lines" || format == "auto") && len(preds) != len(refs) {
			t.Fatalf("lines: %d predictions but %d references from the same data %q", len(preds), len(refs), data)
		}
	})
}
