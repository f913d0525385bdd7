package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// StandardColumns are the metric columns of the reference run's results
// table, in its order.
var StandardColumns = [6]string{"ROUGE-1", "ROUGE-2", "ROUGE-L", "ROUGE-Lsum", "BLEU", "METEOR"}

// Table is a results table: one row per model, one column per metric. A
// missing value is NaN; it renders as "n/a" in Markdown, an empty field in
// CSV and null in JSON.
type Table struct {
	// Columns are the metric names after the model column.
	Columns []string
	// Rows are the models in the order they were added.
	Rows []TableRow
	// Digits is the number of decimals in Markdown (CSV and JSON keep full
	// precision); 0 means 4.
	Digits int
}

// TableRow is one model's values, in the order of Table.Columns.
type TableRow struct {
	Model  string
	Values []float64
}

// NewTable returns an empty table with the [StandardColumns] followed by
// the extra columns (for example a finding F1).
func NewTable(extra ...string) *Table {
	cols := append(append([]string{}, StandardColumns[:]...), extra...)
	return &Table{Columns: cols}
}

// Add appends a row; it needs one value per column.
func (t *Table) Add(model string, values ...float64) error {
	if len(values) != len(t.Columns) {
		return fmt.Errorf("table row %q: %d values for %d columns", model, len(values), len(t.Columns))
	}
	t.Rows = append(t.Rows, TableRow{Model: model, Values: append([]float64{}, values...)})
	return nil
}

// AddScores appends a row from [Scores] for a table made by [NewTable]:
// the standard columns come from s (METEOR NaN when s has none), extra
// supplies the remaining columns.
func (t *Table) AddScores(model string, s Scores, extra ...float64) error {
	meteor := math.NaN()
	if s.METEOR != nil {
		meteor = *s.METEOR
	}
	values := append([]float64{s.ROUGE1, s.ROUGE2, s.ROUGEL, s.ROUGELsum, s.BLEU, meteor}, extra...)
	return t.Add(model, values...)
}

func (t *Table) digits() int {
	if t.Digits <= 0 {
		return 4
	}
	return t.Digits
}

// Markdown renders the table as a GitHub-flavoured Markdown table with
// right-aligned numbers.
func (t *Table) Markdown() string {
	var b strings.Builder
	b.WriteString("| model |")
	for _, c := range t.Columns {
		b.WriteString(" " + escapeMarkdownCell(c) + " |")
	}
	b.WriteString("\n| --- |")
	for range t.Columns {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("| " + escapeMarkdownCell(r.Model) + " |")
		for _, v := range r.Values {
			cell := "n/a"
			if !math.IsNaN(v) {
				cell = strconv.FormatFloat(v, 'f', t.digits(), 64)
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// escapeMarkdownCell keeps a cell on one line and its pipes literal.
func escapeMarkdownCell(s string) string {
	s = strings.ReplaceAll(s, `|`, `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// WriteCSV writes the table as CSV (RFC 4180, via encoding/csv): a header
// "model,<columns>" and one record per row, numbers in Go's shortest
// round-trip form.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"model"}, t.Columns...)); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range t.Rows {
		rec := []string{r.Model}
		for _, v := range r.Values {
			if math.IsNaN(v) {
				rec = append(rec, "")
			} else {
				rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// MarshalJSON renders the table as
// {"columns":[...],"rows":[{"model":...,"values":{column:value,...}},...]}
// with the values in column order and null for missing ones.
func (t *Table) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	cols, err := json.Marshal(t.Columns)
	if err != nil {
		return nil, err
	}
	if t.Columns == nil {
		cols = []byte("[]")
	}
	b.WriteString(`{"columns":`)
	b.Write(cols)
	b.WriteString(`,"rows":[`)
	for i, r := range t.Rows {
		if len(r.Values) != len(t.Columns) {
			return nil, fmt.Errorf("table row %q: %d values for %d columns", r.Model, len(r.Values), len(t.Columns))
		}
		if i > 0 {
			b.WriteByte(',')
		}
		model, _ := json.Marshal(r.Model)
		b.WriteString(`{"model":`)
		b.Write(model)
		b.WriteString(`,"values":{`)
		for j, v := range r.Values {
			if j > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(t.Columns[j])
			b.Write(key)
			b.WriteByte(':')
			if math.IsNaN(v) || math.IsInf(v, 0) {
				b.WriteString("null")
			} else {
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		b.WriteString("}}")
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}
