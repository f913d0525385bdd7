// Command radcap is the command line of radcap: it scores image captions
// with the metrics of Hugging Face `evaluate` (and, as later issues land,
// fine-tunes and benchmarks captioning models).
//
// Usage:
//
//	radcap <command> [flags]
//	radcap help [command]
//
// Run `radcap help` for the list of commands.
package main

import (
	"fmt"
	"io"
	"os"
)

// command is one subcommand: its name, a one-line summary for the command
// list, its help text and its entry point, which returns the exit status.
type command struct {
	name    string
	summary string
	usage   func(w io.Writer)
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order `radcap help` shows them.
func commands() []command {
	return []command{
		{name: "finetune", summary: "fine-tune a captioning model (no flags: the built-in example on the CPU)", usage: finetuneUsage, run: runFinetune},
		{name: "evaluate", summary: "caption a data split with a model and print the results table", usage: evaluateUsage, run: runEvaluate},
		{name: "compare", summary: "put the results of several fine-tuning runs in one table", usage: compareUsage, run: runCompare},
		{name: "caption", summary: "caption image files with a model", usage: captionUsage, run: runCaption},
		{name: "inspect", summary: "list a checkpoint's tensors (name, dtype, shape, parameters)", usage: inspectUsage, run: runInspect},
		{name: "synth", summary: "write the built-in synthetic chest X-ray set in the ROCO layout", usage: synthUsage, run: runSynth},
		{name: "score", summary: "score predicted captions against references (BLEU, ROUGE, METEOR, sacreBLEU)", usage: scoreUsage, run: runScore},
		{name: "pretrain", summary: "pretrain a small base model (git-small or blip-small) on built-in synthetic shapes", usage: pretrainUsage, run: runPretrain},
		{name: "bench", summary: "measure speed against a same-run reference (cpu: SGEMM; cuda: cuBLASLt)", usage: benchUsage, run: runBench},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the command failed (bad input file, metric error)
	exitUsage = 2 // the command line itself is wrong
)

// run dispatches args (without the program name) to a subcommand and
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stdout)
			return exitOK
		}
		if c, ok := findCommand(rest[0]); ok && len(rest) == 1 {
			c.usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "radcap help: unknown command %q\n\n", rest[0])
		usage(stderr)
		return exitUsage
	}
	c, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "radcap: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(rest, stdout, stderr)
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage writes the top-level help: synopsis and command list.
func usage(w io.Writer) {
	fmt.Fprintln(w, "radcap: fine-tuning and scoring of image-captioning models.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  radcap <command> [flags]")
	fmt.Fprintln(w, "  radcap help [command]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}
