package eval

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// referenceTable is the source's published table (README of DESIGN), with
// GIT-base's ROUGE-L and ROUGE-Lsum read as 0.08.
func referenceTable(t *testing.T) *Table {
	t.Helper()
	tab := NewTable()
	tab.Digits = 2
	rows := []struct {
		model  string
		values []float64
	}{
		{"GIT-base", []float64{0.10, 0.01, 0.08, 0.08, 0, 0.05}},
		{"GIT-base fine-tuned", []float64{0.35, 0.22, 0.33, 0.34, 0, 0.14}},
		{"BLIP-base", []float64{0.20, 0.06, 0.19, 0.19, 0, 0.08}},
		{"BLIP-base fine-tuned", []float64{0.34, 0.22, 0.33, 0.35, 0.08, 0.12}},
	}
	for _, r := range rows {
		if err := tab.Add(r.model, r.values...); err != nil {
			t.Fatal(err)
		}
	}
	return tab
}

func TestTableMarkdown(t *testing.T) {
	want := `| model | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum | BLEU | METEOR |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| GIT-base | 0.10 | 0.01 | 0.08 | 0.08 | 0.00 | 0.05 |
| GIT-base fine-tuned | 0.35 | 0.22 | 0.33 | 0.34 | 0.00 | 0.14 |
| BLIP-base | 0.20 | 0.06 | 0.19 | 0.19 | 0.00 | 0.08 |
| BLIP-base fine-tuned | 0.34 | 0.22 | 0.33 | 0.35 | 0.08 | 0.12 |
`
	if got := referenceTable(t).Markdown(); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableCSV(t *testing.T) {
	want := "model,ROUGE-1,ROUGE-2,ROUGE-L,ROUGE-Lsum,BLEU,METEOR\n" +
		"GIT-base,0.1,0.01,0.08,0.08,0,0.05\n" +
		"GIT-base fine-tuned,0.35,0.22,0.33,0.34,0,0.14\n" +
		"BLIP-base,0.2,0.06,0.19,0.19,0,0.08\n" +
		"BLIP-base fine-tuned,0.34,0.22,0.33,0.35,0.08,0.12\n"
	var b bytes.Buffer
	if err := referenceTable(t).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestTableJSON(t *testing.T) {
	want := `{"columns":["ROUGE-1","ROUGE-2","ROUGE-L","ROUGE-Lsum","BLEU","METEOR"],"rows":[` +
		`{"model":"GIT-base","values":{"ROUGE-1":0.1,"ROUGE-2":0.01,"ROUGE-L":0.08,"ROUGE-Lsum":0.08,"BLEU":0,"METEOR":0.05}},` +
		`{"model":"GIT-base fine-tuned","values":{"ROUGE-1":0.35,"ROUGE-2":0.22,"ROUGE-L":0.33,"ROUGE-Lsum":0.34,"BLEU":0,"METEOR":0.14}},` +
		`{"model":"BLIP-base","values":{"ROUGE-1":0.2,"ROUGE-2":0.06,"ROUGE-L":0.19,"ROUGE-Lsum":0.19,"BLEU":0,"METEOR":0.08}},` +
		`{"model":"BLIP-base fine-tuned","values":{"ROUGE-1":0.34,"ROUGE-2":0.22,"ROUGE-L":0.33,"ROUGE-Lsum":0.35,"BLEU":0.08,"METEOR":0.12}}]}`
	got, err := json.Marshal(referenceTable(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", got, want)
	}
}

// TestTableExtraAndMissing covers an extra column, a missing value, a
// model name that needs quoting or escaping, and AddScores.
func TestTableExtraAndMissing(t *testing.T) {
	tab := NewTable("finding F1")
	meteor := 0.25
	s := Scores{ROUGE1: 0.5, ROUGE2: 0.25, ROUGEL: 0.375, ROUGELsum: 0.4375, BLEU: 0.125, METEOR: &meteor}
	if err := tab.AddScores(`git-small, "fine|tuned"`, s, 0.75); err != nil {
		t.Fatal(err)
	}
	if err := tab.AddScores("no meteor", Scores{}, math.NaN()); err != nil {
		t.Fatal(err)
	}
	if err := tab.Add("short row", 1, 2); err == nil {
		t.Error("Add with 2 values for 7 columns: no error")
	}
	wantMD := `| model | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum | BLEU | METEOR | finding F1 |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| git-small, "fine\|tuned" | 0.5000 | 0.2500 | 0.3750 | 0.4375 | 0.1250 | 0.2500 | 0.7500 |
| no meteor | 0.0000 | 0.0000 | 0.0000 | 0.0000 | 0.0000 | n/a | n/a |
`
	if got := tab.Markdown(); got != wantMD {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, wantMD)
	}
	wantCSV := "model,ROUGE-1,ROUGE-2,ROUGE-L,ROUGE-Lsum,BLEU,METEOR,finding F1\n" +
		`"git-small, ""fine|tuned""",0.5,0.25,0.375,0.4375,0.125,0.25,0.75` + "\n" +
		"no meteor,0,0,0,0,0,,\n"
	var b bytes.Buffer
	if err := tab.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != wantCSV {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), wantCSV)
	}
	wantJSON := `{"columns":["ROUGE-1","ROUGE-2","ROUGE-L","ROUGE-Lsum","BLEU","METEOR","finding F1"],"rows":[` +
		`{"model":"git-small, \"fine|tuned\"","values":{"ROUGE-1":0.5,"ROUGE-2":0.25,"ROUGE-L":0.375,"ROUGE-Lsum":0.4375,"BLEU":0.125,"METEOR":0.25,"finding F1":0.75}},` +
		`{"model":"no meteor","values":{"ROUGE-1":0,"ROUGE-2":0,"ROUGE-L":0,"ROUGE-Lsum":0,"BLEU":0,"METEOR":null,"finding F1":null}}]}`
	got, err := json.Marshal(tab)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantJSON {
		t.Errorf("JSON:\n%s\nwant:\n%s", got, wantJSON)
	}
	var back struct {
		Columns []string `json:"columns"`
		Rows    []struct {
			Model  string              `json:"model"`
			Values map[string]*float64 `json:"values"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("table JSON does not parse: %v", err)
	}
	if len(back.Rows) != 2 || back.Rows[1].Values["METEOR"] != nil || *back.Rows[0].Values["finding F1"] != 0.75 {
		t.Errorf("table JSON round trip: %+v", back)
	}
}

func TestTableEmpty(t *testing.T) {
	tab := NewTable()
	if got := tab.Markdown(); !strings.HasPrefix(got, "| model | ROUGE-1 |") || strings.Count(got, "\n") != 2 {
		t.Errorf("empty table Markdown = %q", got)
	}
	got, err := json.Marshal(tab)
	if err != nil || !strings.HasSuffix(string(got), `"rows":[]}`) {
		t.Errorf("empty table JSON = %s, %v", got, err)
	}
}
