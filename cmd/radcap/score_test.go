package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"radcap/eval/meteor"
)

const multiref = "testdata/multiref/"

// The expected numbers of the multiref golden files come from the metrics
// fixture case pub-multiref-even (evaluate's bleu/rouge and sacrebleu).
func TestScoreGoldenMarkdown(t *testing.T) {
	want, err := os.ReadFile(multiref + "expected.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, refs := range []string{"references.blocks.txt", "references.jsonl"} {
		for _, preds := range []string{"predictions.txt", "predictions.jsonl"} {
			t.Run(preds+"+"+refs, func(t *testing.T) {
				args := []string{"score", "--predictions", multiref + preds, "--references", multiref + refs, "--no-meteor"}
				if strings.HasSuffix(refs, ".blocks.txt") {
					args = append(args, "--references-format", "blocks")
				}
				code, stdout, stderr := runCLI(args...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if stdout != string(want) {
					t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
				}
			})
		}
	}
}

func TestScoreGoldenCSV(t *testing.T) {
	want, err := os.ReadFile(multiref + "expected.csv")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI("score", "--predictions", multiref+"predictions.txt", "--references", multiref+"references.jsonl", "--format", "csv", "--no-meteor")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != string(want) {
		t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
	}
	if _, err := csv.NewReader(strings.NewReader(stdout)).ReadAll(); err != nil {
		t.Errorf("output is not valid CSV: %v", err)
	}
}

// TestScoreAllCases runs `radcap score --format json` on every metrics
// fixture case (written as JSONL files, so multi-line captions survive)
// and compares the numbers with the fixture. RADCAP_METRIC_CASES names
// another cases.json of the same layout.
func TestScoreAllCases(t *testing.T) {
	path := os.Getenv("RADCAP_METRIC_CASES")
	if path == "" {
		path = filepath.Join("testdata", "cases.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		ID          string          `json:"id"`
		Predictions []string        `json:"predictions"`
		References  json.RawMessage `json:"references"`
		Expected    struct {
			BLEU      *float64 `json:"bleu"`
			BLEUError string   `json:"bleu_error"`
			Rouge1    float64  `json:"rouge1"`
			Rouge2    float64  `json:"rouge2"`
			RougeL    float64  `json:"rougeL"`
			RougeLsum float64  `json:"rougeLsum"`
			SacreBLEU struct {
				Error string  `json:"error"`
				Score float64 `json:"score"`
			} `json:"sacrebleu"`
		} `json:"expected"`
		Variants struct {
			Bootstrap struct {
				Seed0 map[string]float64 `json:"seed_0"`
			} `json:"rouge_evaluate_bootstrap"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no cases", path)
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			dir := t.TempDir()
			var refs [][]string
			var flat []string
			if err := json.Unmarshal(c.References, &flat); err == nil {
				for _, r := range flat {
					refs = append(refs, []string{r})
				}
			} else if err := json.Unmarshal(c.References, &refs); err != nil {
				t.Fatalf("references: %v", err)
			}
			var pb, rb strings.Builder
			for i, p := range c.Predictions {
				line, _ := json.Marshal(map[string]any{"prediction": p})
				pb.Write(append(line, '\n'))
				line, _ = json.Marshal(map[string]any{"references": refs[i]})
				rb.Write(append(line, '\n'))
			}
			pf, rf := filepath.Join(dir, "p.jsonl"), filepath.Join(dir, "r.jsonl")
			if err := os.WriteFile(pf, []byte(pb.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rf, []byte(rb.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI("score", "--predictions", pf, "--references", rf, "--format", "json", "--no-meteor", "--bootstrap", "--seed", "0")
			e := c.Expected
			if e.BLEUError != "" {
				if code != exitError || !strings.Contains(stderr, "BLEU is undefined") {
					t.Fatalf("exit %d, stderr %q; want exit 1 with the BLEU error", code, stderr)
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				BLEU, Rouge1, Rouge2, RougeL, RougeLsum float64
				Meteor                                  *float64
				SacreBLEU                               *struct{ Score float64 }
				SacreBLEUError                          string                           `json:"sacrebleu_error"`
				ROUGEBootstrap                          map[string]struct{ Mid float64 } `json:"rouge_bootstrap"`
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			for _, v := range []struct {
				name      string
				got, want float64
			}{
				{"bleu", got.BLEU, *e.BLEU}, {"rouge1", got.Rouge1, e.Rouge1}, {"rouge2", got.Rouge2, e.Rouge2},
				{"rougeL", got.RougeL, e.RougeL}, {"rougeLsum", got.RougeLsum, e.RougeLsum},
			} {
				if math.Abs(v.got-v.want) > 1e-9 {
					t.Errorf("%s = %.17g, want %.17g", v.name, v.got, v.want)
				}
			}
			if len(c.Variants.Bootstrap.Seed0) != 4 {
				t.Fatal("fixture lacks variants.rouge_evaluate_bootstrap.seed_0")
			}
			for k, w := range c.Variants.Bootstrap.Seed0 {
				if iv, ok := got.ROUGEBootstrap[k]; !ok || math.Abs(iv.Mid-w) > 1e-9 {
					t.Errorf("bootstrap %s mid = %+v, want %.17g (evaluate, seed 0)", k, iv, w)
				}
			}
			if got.Meteor != nil {
				t.Errorf("meteor = %v with --no-meteor", *got.Meteor)
			}
			if e.SacreBLEU.Error != "" {
				if got.SacreBLEU != nil || got.SacreBLEUError == "" {
					t.Errorf("sacrebleu computed where evaluate refuses: %s", stdout)
				}
			} else if got.SacreBLEU == nil || math.Abs(got.SacreBLEU.Score-e.SacreBLEU.Score) > 1e-9 {
				t.Errorf("sacrebleu = %+v, want %.17g", got.SacreBLEU, e.SacreBLEU.Score)
			}
		})
	}
}

// writeFiles writes name -> content into a temporary folder and returns
// the folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScoreErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"p.txt":       "a small effusion\nno pneumothorax\nclear lungs\n",
		"r2.txt":      "a small effusion\nno pneumothorax\n",
		"r3.txt":      "a small left effusion\nno pneumothorax seen\nlungs are clear\n",
		"bad.jsonl":   "{\"references\": [\"a\"]}\n{\"reference\": \"b\"}\n{\"references\": [\"c\"\n",
		"nofld.jsonl": "{\"references\": [\"a\"]}\n{\"text\": \"b\"}\n",
		"empty.jsonl": "{\"references\": []}\n",
		"utf8.txt":    "fine\nbroken \xff byte\nfine\n",
		"empty.txt":   "\n \n\n",
		"pj.jsonl":    "{\"prediction\": \"a\"}\n[1, 2]\n",
		"pn.jsonl":    "{\"prediction\": 7}\n",
		"blocks.txt":  "a small effusion\n\nno pneumothorax\n",
		"uneven.txt":  "a small effusion\nsmall effusion on the left\n\nno pneumothorax\n\nclear lungs\n",
	})
	f := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"count mismatch", []string{"--predictions", f("p.txt"), "--references", f("r2.txt")}, exitError,
			"p.txt has 3 predictions but " + f("r2.txt") + " has 2 reference lines"},
		{"block count mismatch", []string{"--predictions", f("p.txt"), "--references", f("blocks.txt"), "--references-format", "blocks"}, exitError,
			"has 3 predictions but " + f("blocks.txt") + " has 2 reference blocks"},
		{"invalid JSON", []string{"--predictions", f("p.txt"), "--references", f("bad.jsonl")}, exitError, f("bad.jsonl") + ":3: invalid JSON"},
		{"missing field", []string{"--predictions", f("p.txt"), "--references", f("nofld.jsonl")}, exitError, f("nofld.jsonl") + `:2: missing field "references"`},
		{"empty references", []string{"--predictions", f("p.txt"), "--references", f("empty.jsonl")}, exitError, f("empty.jsonl") + `:1: "references" is empty`},
		{"invalid UTF-8", []string{"--predictions", f("utf8.txt"), "--references", f("r3.txt")}, exitError, f("utf8.txt") + ":2: invalid UTF-8"},
		{"prediction not an object", []string{"--predictions", f("pj.jsonl"), "--references", f("r3.txt")}, exitError, f("pj.jsonl") + ":2: invalid JSON: expected an object"},
		{"prediction not a string", []string{"--predictions", f("pn.jsonl"), "--references", f("r3.txt")}, exitError, f("pn.jsonl") + ":1: invalid JSON"},
		{"all predictions empty", []string{"--predictions", f("empty.txt"), "--references", f("r3.txt")}, exitError, "BLEU is undefined: all predictions are empty"},
		{"missing file", []string{"--predictions", f("nope.txt"), "--references", f("r3.txt")}, exitError, "read predictions"},
		{"no predictions flag", []string{"--references", f("r3.txt")}, exitUsage, "--predictions is required"},
		{"no references flag", []string{"--predictions", f("p.txt")}, exitUsage, "--references is required"},
		{"bad format", []string{"--predictions", f("p.txt"), "--references", f("r3.txt"), "--format", "xml"}, exitUsage, `--format "xml"`},
		{"bad references format", []string{"--predictions", f("p.txt"), "--references", f("r3.txt"), "--references-format", "tsv"}, exitUsage, `--references-format "tsv"`},
		{"unknown flag", []string{"--predictions", f("p.txt"), "--frobnicate"}, exitUsage, "flag provided but not defined: -frobnicate"},
		{"stray argument", []string{"--predictions", f("p.txt"), "--references", f("r3.txt"), "extra"}, exitUsage, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"score"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing on error", stdout)
			}
		})
	}

	// Uneven reference counts: scored, sacreBLEU left out with a note.
	code, stdout, stderr := runCLI("score", "--predictions", f("p.txt"), "--references", f("uneven.txt"), "--references-format", "blocks", "--no-meteor")
	if code != exitOK {
		t.Fatalf("uneven blocks: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "| sacreBLEU | not computed: sacrebleu: sacreBLEU requires the same number of references for each prediction |") ||
		!strings.Contains(stdout, "| p | 1.0000 | 1.0000 | 1.0000 | 1.0000 |") {
		t.Errorf("uneven blocks output:\n%s", stdout)
	}
}

// TestScoreBootstrapAndName checks that --name names the row and that
// --bootstrap adds the intervals to the details table (the values are
// checked against evaluate in TestScoreAllCases).
func TestScoreBootstrapAndName(t *testing.T) {
	code, stdout, stderr := runCLI("score", "--predictions", multiref+"predictions.txt", "--references", multiref+"references.jsonl",
		"--bootstrap", "--seed", "3", "--samples", "50", "--no-meteor", "--name", "GIT-base", "--format", "md")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"| GIT-base | 0.8744 |", "| ROUGE-1 bootstrap low / mid / high |", "| ROUGE-Lsum bootstrap low / mid / high |"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, _, stderr = runCLI("score", "--predictions", multiref+"predictions.txt", "--references", multiref+"references.jsonl", "--bootstrap", "--samples", "0")
	if code != exitUsage || !strings.Contains(stderr, "--samples 0") {
		t.Errorf("--samples 0: exit %d, stderr %q", code, stderr)
	}
}

// TestScoreMETEOR: without --no-meteor the table and the JSON carry METEOR
// as package meteor computes it.
func TestScoreMETEOR(t *testing.T) {
	preds := []string{"chest x-ray shows a right upper lobe mass", "no pneumothorax after chest tube removal", "large hiatal hernia behind the heart"}
	refs := [][]string{
		{"chest x-ray shows a mass in the right upper lobe", "right upper lobe mass on chest radiograph"},
		{"no residual pneumothorax after removal of the chest tube", "chest tube removed, no pneumothorax"},
		{"retrocardiac hiatal hernia", "large hiatal hernia projecting behind the heart"},
	}
	want, err := meteor.Corpus(preds, refs)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI("score", "--predictions", multiref+"predictions.txt", "--references", multiref+"references.jsonl", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct{ Meteor *float64 }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Meteor == nil || *got.Meteor != want {
		t.Errorf("meteor = %v, want %v", got.Meteor, want)
	}
	code, stdout, _ = runCLI("score", "--predictions", multiref+"predictions.txt", "--references", multiref+"references.jsonl")
	if cell := " " + strconv.FormatFloat(want, 'f', 4, 64) + " |"; code != exitOK || !strings.Contains(stdout, "| 0.4941 |"+cell) || strings.Contains(stdout, "n/a") {
		t.Errorf("markdown lacks METEOR %s after BLEU:\n%s", cell, stdout)
	}
}
