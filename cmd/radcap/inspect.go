package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"radcap/safetensors"
)

func inspectUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap inspect FILE|DIR

Lists the tensors of a checkpoint: a .safetensors file, or a model folder
(model.safetensors or the shards its index lists). One line per tensor:
name, dtype, shape and parameter count, then the total.

Flags: none besides --help.
`)
}

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inspectUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "inspect", err.Error())
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "inspect", "want exactly one FILE or DIR")
	}
	if err := inspect(fs.Arg(0), stdout); err != nil {
		fmt.Fprintf(stderr, "radcap inspect: %v\n", err)
		return exitError
	}
	return exitOK
}

// inspect prints the tensor table of path.
func inspect(path string, w io.Writer) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var names []string
	var info func(string) (safetensors.TensorInfo, bool)
	if st.IsDir() {
		ck, err := safetensors.OpenCheckpoint(path)
		if err != nil {
			return err
		}
		defer ck.Close()
		names, info = ck.Names(), ck.Info
	} else {
		f, err := safetensors.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		names, info = f.Names(), f.Info
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "name\tdtype\tshape\tparameters\t")
	total := 0
	for _, n := range names {
		ti, _ := info(n)
		dims := make([]string, len(ti.Shape))
		for i, d := range ti.Shape {
			dims[i] = fmt.Sprint(d)
		}
		fmt.Fprintf(tw, "%s\t%s\t[%s]\t%d\t\n", n, ti.DType, strings.Join(dims, ", "), ti.Numel())
		total += ti.Numel()
	}
	fmt.Fprintf(tw, "total (%d tensors)\t\t\t%d\t\n", len(names), total)
	return tw.Flush()
}
