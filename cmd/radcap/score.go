package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"radcap/eval"
)

// scoreUsage is the help of `radcap score`, including the file formats.
func scoreUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap score --predictions FILE --references FILE [flags]

Scores predicted captions against reference captions with the metrics of
Hugging Face evaluate (default arguments): BLEU ("bleu"), ROUGE-1, ROUGE-2,
ROUGE-L and ROUGE-Lsum ("rouge"; the mean of per-caption F-measures),
METEOR ("meteor"), and sacreBLEU's corpus BLEU ("sacrebleu", 0-100) as a
second BLEU.

Predictions file (UTF-8):
  lines  (default)  one caption per line; an empty line is an empty caption.
                    A final newline does not add a caption; "\r\n" is accepted.
  jsonl  (*.jsonl)  one JSON object per line with a string field
                    "prediction", e.g. {"image": "a.png", "prediction": "..."};
                    blank lines are skipped.

References file (UTF-8), chosen with --references-format:
  lines  (default)  one reference per line, line i belongs to prediction i.
  blocks            several references per prediction: one block of
                    non-blank lines per prediction, blocks separated by one
                    or more blank lines. Must be asked for explicitly.
  jsonl  (*.jsonl)  one JSON object per line: {"references": ["...", ...]}
                    (one or more) or {"reference": "..."}. The only format in
                    which a caption can span several lines ("\n"), which
                    ROUGE-Lsum treats as sentence breaks.
  "auto" (the default) means jsonl for a file named *.jsonl, else lines.

The number of predictions must equal the number of reference lines, blocks
or records. Errors name the file and line ("refs.jsonl:17: invalid JSON: ...").

Output (--format): md prints the results table (ROUGE-1, ROUGE-2, ROUGE-L,
ROUGE-Lsum, BLEU, METEOR, sacreBLEU) and a table of details; csv prints the
results table; json prints every number, BLEU and sacreBLEU details included.
BLEU fails, as in evaluate, when all predictions or all shortest references
are empty. sacreBLEU is left out (with a note) when predictions have
different numbers of references, which evaluate's sacrebleu refuses.

Flags:
`)
	fs := scoreFlags(new(scoreConfig))
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// scoreConfig holds the flags of `radcap score`.
type scoreConfig struct {
	predictions, references string
	predFormat, refFormat   string
	format, name            string
	bootstrap               bool
	seed                    uint
	samples                 int
	noMETEOR                bool
}

// scoreFlags defines the flag set of `radcap score` on cfg. Its output is
// discarded: runScore reports errors and help itself.
func scoreFlags(cfg *scoreConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.predictions, "predictions", "", "`FILE` of predicted captions (required)")
	fs.StringVar(&cfg.references, "references", "", "`FILE` of reference captions (required)")
	fs.StringVar(&cfg.predFormat, "predictions-format", "auto", "predictions file format: auto, lines or jsonl")
	fs.StringVar(&cfg.refFormat, "references-format", "auto", "references file format: auto, lines, blocks or jsonl")
	fs.StringVar(&cfg.format, "format", "md", "output format: md, csv or json")
	fs.StringVar(&cfg.name, "name", "", "row name in the results table (default: the predictions file name without extension)")
	fs.BoolVar(&cfg.bootstrap, "bootstrap", false, "also compute evaluate's bootstrap confidence intervals for ROUGE (95%)")
	fs.UintVar(&cfg.seed, "seed", 0, "bootstrap seed, as numpy.random.seed(seed) in evaluate")
	fs.IntVar(&cfg.samples, "samples", 1000, "bootstrap resamples")
	fs.BoolVar(&cfg.noMETEOR, "no-meteor", false, "skip METEOR")
	return fs
}

// runScore is `radcap score`.
func runScore(args []string, stdout, stderr io.Writer) int {
	var cfg scoreConfig
	fs := scoreFlags(&cfg)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			scoreUsage(stdout)
			return exitOK
		}
		return scoreUsageError(stderr, err.Error())
	}
	switch {
	case fs.NArg() > 0:
		return scoreUsageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case cfg.predictions == "":
		return scoreUsageError(stderr, "--predictions is required")
	case cfg.references == "":
		return scoreUsageError(stderr, "--references is required")
	case cfg.format != "md" && cfg.format != "csv" && cfg.format != "json":
		return scoreUsageError(stderr, fmt.Sprintf("--format %q is not one of md, csv, json", cfg.format))
	case cfg.bootstrap && cfg.samples < 1:
		return scoreUsageError(stderr, fmt.Sprintf("--samples %d must be at least 1", cfg.samples))
	case cfg.seed > 1<<32-1:
		return scoreUsageError(stderr, fmt.Sprintf("--seed %d must be below 2^32", cfg.seed))
	}
	if !oneOf(cfg.predFormat, formatAuto, formatLines, formatJSONL) {
		return scoreUsageError(stderr, fmt.Sprintf("--predictions-format %q is not one of auto, lines, jsonl", cfg.predFormat))
	}
	if !oneOf(cfg.refFormat, formatAuto, formatLines, formatBlocks, formatJSONL) {
		return scoreUsageError(stderr, fmt.Sprintf("--references-format %q is not one of auto, lines, blocks, jsonl", cfg.refFormat))
	}
	out, err := score(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "radcap score: %v\n", err)
		return exitError
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "radcap score: write output: %v\n", err)
		return exitError
	}
	return exitOK
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func scoreUsageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "radcap score: %s\nRun 'radcap help score' for usage.\n", msg)
	return exitUsage
}

// score reads the two files, computes the metrics and renders them.
func score(cfg scoreConfig) ([]byte, error) {
	predData, err := os.ReadFile(cfg.predictions)
	if err != nil {
		return nil, fmt.Errorf("read predictions: %w", err)
	}
	refData, err := os.ReadFile(cfg.references)
	if err != nil {
		return nil, fmt.Errorf("read references: %w", err)
	}
	preds, err := parsePredictions(cfg.predictions, predData, cfg.predFormat)
	if err != nil {
		return nil, err
	}
	refs, err := parseReferences(cfg.references, refData, cfg.refFormat)
	if err != nil {
		return nil, err
	}
	if len(preds) != len(refs) {
		unit := map[string]string{formatLines: "lines", formatBlocks: "blocks", formatJSONL: "records"}[resolveFormat(cfg.references, cfg.refFormat)]
		return nil, fmt.Errorf("%s has %d predictions but %s has %d reference %s", cfg.predictions, len(preds), cfg.references, len(refs), unit)
	}
	if len(preds) == 0 {
		return nil, fmt.Errorf("%s holds no predictions", cfg.predictions)
	}
	opts := eval.Options{SkipMETEOR: cfg.noMETEOR}
	if cfg.bootstrap {
		opts.Bootstrap = &eval.BootstrapOptions{Samples: cfg.samples, Seed: uint32(cfg.seed)}
	}
	s, err := eval.Compute(preds, refs, opts)
	if err != nil {
		return nil, err
	}
	name := cfg.name
	if name == "" {
		base := filepath.Base(cfg.predictions)
		name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return renderScores(s, name, cfg.format)
}

// renderScores formats s as md, csv or json.
func renderScores(s eval.Scores, name, format string) ([]byte, error) {
	if format == "json" {
		out, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode json: %w", err)
		}
		return append(out, '\n'), nil
	}
	tab := eval.NewTable("sacreBLEU")
	sacre := math.NaN() // missing in the table
	if s.SacreBLEU != nil {
		sacre = s.SacreBLEU.Score
	}
	if err := tab.AddScores(name, s, sacre); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if format == "csv" {
		if err := tab.WriteCSV(&b); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	b.WriteString(tab.Markdown())
	b.WriteString("\n")
	writeDetails(&b, s)
	return b.Bytes(), nil
}

// writeDetails writes the Markdown details table below the results table.
func writeDetails(b *bytes.Buffer, s eval.Scores) {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	row := func(k, v string) { fmt.Fprintf(b, "| %s | %s |\n", k, v) }
	d := s.BLEUDetail
	b.WriteString("| detail | value |\n| --- | --- |\n")
	row("pairs", strconv.Itoa(s.Pairs))
	row("BLEU precisions 1-4", strings.Join([]string{f(d.Precisions[0]), f(d.Precisions[1]), f(d.Precisions[2]), f(d.Precisions[3])}, " / "))
	row("BLEU brevity penalty", f(d.BrevityPenalty))
	row("BLEU length ratio", f(d.LengthRatio))
	row("BLEU translation / reference length", fmt.Sprintf("%d / %d", d.TranslationLength, d.ReferenceLength))
	if sb := s.SacreBLEU; sb != nil {
		row("sacreBLEU precisions 1-4 (%)", strings.Join([]string{f(sb.Precisions[0]), f(sb.Precisions[1]), f(sb.Precisions[2]), f(sb.Precisions[3])}, " / "))
		row("sacreBLEU bp", f(sb.BP))
		row("sacreBLEU sys_len / ref_len", fmt.Sprintf("%d / %d", sb.SysLen, sb.RefLen))
	} else {
		row("sacreBLEU", "not computed: "+s.SacreBLEUError)
	}
	if s.METEOR == nil {
		row("METEOR", "not computed")
	}
	if bs := s.ROUGEBootstrap; bs != nil {
		iv := func(i eval.Interval) string { return f(i.Low) + " / " + f(i.Mid) + " / " + f(i.High) }
		row("ROUGE-1 bootstrap low / mid / high", iv(bs.Rouge1))
		row("ROUGE-2 bootstrap low / mid / high", iv(bs.Rouge2))
		row("ROUGE-L bootstrap low / mid / high", iv(bs.RougeL))
		row("ROUGE-Lsum bootstrap low / mid / high", iv(bs.RougeLsum))
	}
}
