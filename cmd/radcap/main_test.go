package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit status and
// outputs.
func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestDispatch(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		stdoutHas  string
		stderrHas  string
		stdoutNone bool
	}{
		{"no arguments", nil, exitUsage, "", "Usage:", true},
		{"help", []string{"help"}, exitOK, "score ", "", false},
		{"--help", []string{"--help"}, exitOK, "Commands:", "", false},
		{"help score", []string{"help", "score"}, exitOK, "blocks", "", false},
		{"help unknown", []string{"help", "frobnicate"}, exitUsage, "", `unknown command "frobnicate"`, true},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `radcap: unknown command "frobnicate"`, true},
		{"score -h", []string{"score", "-h"}, exitOK, "--references-format", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdoutHas) {
				t.Errorf("stdout %q lacks %q", stdout, tc.stdoutHas)
			}
			if !strings.Contains(stderr, tc.stderrHas) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderrHas)
			}
			if tc.stdoutNone && stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

// TestHelpListsOnlyExistingCommands: the command list names exactly the
// commands that dispatch.
func TestHelpListsOnlyExistingCommands(t *testing.T) {
	_, out, _ := runCLI("help")
	lines := strings.Split(out, "Commands:\n")
	if len(lines) != 2 {
		t.Fatalf("help output has no command list: %q", out)
	}
	for _, l := range strings.Split(strings.TrimSpace(lines[1]), "\n") {
		name := strings.Fields(l)[0]
		if _, ok := findCommand(name); !ok {
			t.Errorf("help lists %q, which does not dispatch", name)
		}
	}
	if len(strings.Split(strings.TrimSpace(lines[1]), "\n")) != len(commands()) {
		t.Errorf("help lists a different number of commands than exist:\n%s", out)
	}
}
