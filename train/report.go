package train

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"radcap/data"
	"radcap/eval"
	"radcap/imageproc"
)

// Results is results.json: the table's numbers per model and split, with
// the settings used.
type Results struct {
	Model    string  `json:"model"`
	Data     string  `json:"data"`
	Settings Config  `json:"settings"`
	Steps    int64   `json:"optimizer_steps"`
	Seconds  float64 `json:"train_seconds"`
	// Table is the results table (columns and rows).
	Table *eval.Table `json:"table"`
	// Results maps split -> model row name -> evaluation.
	Results map[string]map[string]*EvalResult `json:"results"`
}

// slim drops the per-example lists of an evaluation.
func slim(r *EvalResult) *EvalResult {
	if r == nil {
		return nil
	}
	c := *r
	c.IDs, c.Predictions, c.References = nil, nil, nil
	return &c
}

// writeResults writes results.json and the test predictions
// (predictions_test.jsonl: id, references, base and fine-tuned caption).
func writeResults(cfg Config, res *Result, history []LogEntry) error {
	out := Results{
		Model: cfg.Model, Data: cfg.Data, Settings: cfg, Steps: res.Steps, Seconds: res.Seconds, Table: res.Table,
		Results: map[string]map[string]*EvalResult{
			"test": {cfg.Model: slim(res.Base), cfg.Model + " fine-tuned": slim(res.Tuned)},
		},
	}
	if res.Best != nil {
		out.Results["validation"] = map[string]*EvalResult{cfg.Model + " fine-tuned": slim(res.Best)}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("train: results.json: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(cfg.OutDir, "results.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("train: results.json: %w", err)
	}
	var lines bytes.Buffer
	for i, id := range res.Tuned.IDs {
		row := map[string]any{"id": id, "references": res.Tuned.References[i], "fine_tuned": res.Tuned.Predictions[i]}
		if res.Base != nil && i < len(res.Base.Predictions) {
			row["base"] = res.Base.Predictions[i]
		}
		j, _ := json.Marshal(row)
		lines.Write(append(j, '\n'))
	}
	if err := writeFileAtomic(filepath.Join(cfg.OutDir, "predictions_test.jsonl"), lines.Bytes()); err != nil {
		return fmt.Errorf("train: predictions: %w", err)
	}
	return nil
}

// ReadResults reads a run's results.json.
func ReadResults(path string) (*Results, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Results
		Table *struct {
			Columns []string `json:"columns"`
			Rows    []struct {
				Model  string              `json:"model"`
				Values map[string]*float64 `json:"values"`
			} `json:"rows"`
		} `json:"table"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if raw.Table == nil {
		return nil, fmt.Errorf("%s: no results table", path)
	}
	r := raw.Results
	r.Table = &eval.Table{Columns: raw.Table.Columns}
	for _, row := range raw.Table.Rows {
		vals := make([]float64, len(r.Table.Columns))
		for i, c := range r.Table.Columns {
			vals[i] = math.NaN()
			if v := row.Values[c]; v != nil {
				vals[i] = *v
			}
		}
		r.Table.Rows = append(r.Table.Rows, eval.TableRow{Model: row.Model, Values: vals})
	}
	return &r, nil
}

// sample is one image of the report.
type sample struct {
	ID, Reference, Base, Tuned string
	PNG                        template.URL
}

// reportData feeds the report template.
type reportData struct {
	Model, Data string
	Settings    [][2]string
	Columns     []string
	Rows        [][]string
	Loss        template.HTML
	Samples     []sample
	Variety     string // the fine-tuned captions' variety (synthetic data), or ""
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>radcap: {{.Model}} fine-tuned on {{.Data}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
.samples{display:grid;grid-template-columns:repeat(auto-fill,minmax(20em,1fr));gap:1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em}.card img{width:160px;image-rendering:auto;display:block;margin-bottom:.4em}
.lbl{font-weight:600;color:#555}code{font-size:.85em;color:#555}
</style></head><body>
<h1>{{.Model}} fine-tuned on {{.Data}}</h1>
<h2>Results (test split)</h2>
<table><tr><th>model</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}{{if eq $i 0}}<td>{{$c}}</td>{{else}}<td class="n">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</table>
{{if .Variety}}<p><span class="lbl">Caption variety of the fine-tuned model (test):</span> {{.Variety}}</p>{{end}}
<h2>Loss</h2>
{{.Loss}}
<h2>Samples (test split)</h2>
<div class="samples">{{range .Samples}}<div class="card"><img src="{{.PNG}}" alt="{{.ID}}">
<div><span class="lbl">{{.ID}} reference:</span> {{.Reference}}</div>
<div><span class="lbl">base:</span> {{if .Base}}{{.Base}}{{else}}<i>(empty)</i>{{end}}</div>
<div><span class="lbl">fine-tuned:</span> {{if .Tuned}}{{.Tuned}}{{else}}<i>(empty)</i>{{end}}</div></div>{{end}}</div>
<h2>Settings</h2>
<table>{{range .Settings}}<tr><td>{{index . 0}}</td><td><code>{{index . 1}}</code></td></tr>{{end}}</table>
</body></html>
`))

// writeReport writes the self-contained report.html: the results table,
// the loss curves as inline SVG, and sample test images (PNG data URLs)
// with their reference, base and fine-tuned captions.
func writeReport(cfg Config, res *Result, history []LogEntry, test data.Dataset, proc imageproc.Processor) error {
	d := reportData{Model: cfg.Model, Data: cfg.Data, Settings: settingsRows(cfg), Columns: res.Table.Columns}
	for _, row := range res.Table.Rows {
		cells := []string{row.Model}
		for _, v := range row.Values {
			if math.IsNaN(v) {
				cells = append(cells, "n/a")
			} else {
				cells = append(cells, strconv.FormatFloat(v, 'f', 4, 64))
			}
		}
		d.Rows = append(d.Rows, cells)
	}
	d.Loss = template.HTML(lossSVG(history))
	if res.Tuned.Variety != nil {
		d.Variety = res.Tuned.Variety.String()
	}
	for i := 0; i < cfg.Samples && i < len(res.Tuned.IDs) && i < test.Len(); i++ {
		ex, err := test.Item(i)
		if err != nil {
			return fmt.Errorf("train: report: %w", err)
		}
		img, err := data.LoadImage(ex, 0)
		if err != nil {
			return fmt.Errorf("train: report: %w", err)
		}
		s := sample{ID: ex.ID, Reference: ex.Caption, Tuned: res.Tuned.Predictions[i]}
		if res.Base != nil && i < len(res.Base.Predictions) {
			s.Base = res.Base.Predictions[i]
		}
		if s.PNG, err = thumbnail(img, 160); err != nil {
			return fmt.Errorf("train: report: image %s: %w", ex.ID, err)
		}
		d.Samples = append(d.Samples, s)
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("train: report: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(cfg.OutDir, "report.html"), buf.Bytes()); err != nil {
		return fmt.Errorf("train: report: %w", err)
	}
	return nil
}

// thumbnail scales img so that its longer side is size pixels and returns
// it as a PNG data URL.
func thumbnail(img *imageproc.RGB8, size int) (template.URL, error) {
	w, h := img.W, img.H
	if w >= h {
		w, h = size, max(1, img.H*size/img.W)
	} else {
		w, h = max(1, img.W*size/img.H), size
	}
	small, err := imageproc.ResizeBicubic(img, w, h)
	if err != nil {
		return "", err
	}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r, g, b := small.At(x, y)
			o := rgba.PixOffset(x, y)
			rgba.Pix[o], rgba.Pix[o+1], rgba.Pix[o+2], rgba.Pix[o+3] = r, g, b, 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, rgba); err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// lossSVG draws the training loss (logged steps) and the validation loss
// (per epoch) against the optimizer step.
func lossSVG(history []LogEntry) string {
	var trainPts, valPts [][2]float64
	for _, e := range history {
		if math.IsNaN(e.Loss) {
			continue
		}
		switch e.Kind {
		case "train":
			trainPts = append(trainPts, [2]float64{float64(e.Step), e.Loss})
		case "eval":
			valPts = append(valPts, [2]float64{float64(e.Step), e.Loss})
		}
	}
	if len(trainPts)+len(valPts) == 0 {
		return "<p>No loss was logged.</p>"
	}
	const W, H, pad = 640.0, 300.0, 45.0
	xmax, ymin, ymax := 1.0, math.Inf(1), math.Inf(-1)
	for _, p := range append(append([][2]float64{}, trainPts...), valPts...) {
		xmax = math.Max(xmax, p[0])
		ymin, ymax = math.Min(ymin, p[1]), math.Max(ymax, p[1])
	}
	if ymax-ymin < 1e-9 {
		ymax = ymin + 1
	}
	ymin = math.Max(0, ymin-0.05*(ymax-ymin))
	px := func(p [2]float64) string {
		x := pad + (W-2*pad)*p[0]/xmax
		y := H - pad - (H-2*pad)*(p[1]-ymin)/(ymax-ymin)
		return fmt.Sprintf("%.1f,%.1f", x, y)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-size="11" font-family="sans-serif">`, W, H)
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#999"/>`, pad, pad, W-2*pad, H-2*pad)
	for i := 0; i <= 4; i++ {
		v := ymin + (ymax-ymin)*float64(i)/4
		y := H - pad - (H-2*pad)*float64(i)/4
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%.3g</text>`, pad-4, y+4, v)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">optimizer step</text>`, W/2, H-8)
	line := func(pts [][2]float64, color string, dots bool) {
		if len(pts) == 0 {
			return
		}
		var ps []string
		for _, p := range pts {
			ps = append(ps, px(p))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(ps, " "))
		if dots {
			for _, p := range ps {
				xy := strings.Split(p, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`, xy[0], xy[1], color)
			}
		}
	}
	line(trainPts, "#1f77b4", false)
	line(valPts, "#d62728", true)
	for i := 0; i <= 4; i++ {
		x := pad + (W-2*pad)*float64(i)/4
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%.0f</text>`, x, H-pad+14, xmax*float64(i)/4)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" fill="#1f77b4" text-anchor="end">— training loss</text>`, W-pad, pad-22)
	fmt.Fprintf(&b, `<text x="%g" y="%g" fill="#d62728" text-anchor="end">● validation loss (per epoch)</text>`, W-pad, pad-8)
	b.WriteString(`</svg>`)
	return b.String()
}

// readFile is os.ReadFile with the path in the error.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

// settingsRows lists the run's settings as name/value pairs.
func settingsRows(cfg Config) [][2]string {
	var m map[string]any
	b, _ := json.Marshal(cfg)
	_ = json.Unmarshal(b, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][2]string, 0, len(keys))
	for _, k := range keys {
		v, _ := json.Marshal(m[k])
		rows = append(rows, [2]string{k, string(v)})
	}
	return rows
}
