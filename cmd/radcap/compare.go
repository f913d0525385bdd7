package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"radcap/eval"
	"radcap/train"
)

func compareUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap compare [flags] RUN...

Puts the results of several runs in one table. RUN is an output folder of
radcap finetune (or its results.json). Each run adds its rows (base and
fine-tuned); a row whose name repeats an earlier one is labelled with its
run folder.

Flags:
`)
	var format string
	fs := compareFlags(&format)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func compareFlags(format *string) *flag.FlagSet {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(format, "format", "md", "output: md (table) or csv")
	return fs
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	var format string
	fs := compareFlags(&format)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			compareUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "compare", err.Error())
	}
	if fs.NArg() == 0 {
		return usageError(stderr, "compare", "no run given")
	}
	if format != "md" && format != "csv" {
		return usageError(stderr, "compare", fmt.Sprintf("--format %q is not one of md, csv", format))
	}
	t, err := compareRuns(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "radcap compare: %v\n", err)
		return exitError
	}
	if format == "csv" {
		if err := t.WriteCSV(stdout); err != nil {
			fmt.Fprintf(stderr, "radcap compare: %v\n", err)
			return exitError
		}
		return exitOK
	}
	fmt.Fprint(stdout, t.Markdown())
	return exitOK
}

// compareRuns merges the runs' tables; columns are the first run's, and a
// later run must have the same.
func compareRuns(runs []string) (*eval.Table, error) {
	var out *eval.Table
	seen := map[string]bool{}
	for _, run := range runs {
		path := run
		if st, err := os.Stat(run); err == nil && st.IsDir() {
			path = filepath.Join(run, "results.json")
		}
		r, err := train.ReadResults(path)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &eval.Table{Columns: r.Table.Columns}
		} else if fmt.Sprint(out.Columns) != fmt.Sprint(r.Table.Columns) {
			return nil, fmt.Errorf("%s: columns %v differ from the first run's %v", path, r.Table.Columns, out.Columns)
		}
		for _, row := range r.Table.Rows {
			name := row.Model
			if seen[name] {
				name = fmt.Sprintf("%s (%s)", row.Model, filepath.Base(filepath.Dir(path)))
			}
			seen[name] = true
			if err := out.Add(name, row.Values...); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
