package hffixtures

import (
	"path/filepath"
	"testing"
)

func TestPath(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got, want := Path("git", "config.json"), filepath.Join("testdata", "hf", "git", "config.json"); got != want {
		t.Errorf("default: %s, want %s", got, want)
	}
	if got, want := Path(), filepath.Join("testdata", "hf"); got != want {
		t.Errorf("root: %s, want %s", got, want)
	}
	t.Setenv(EnvVar, "/elsewhere")
	if got, want := Path("blip"), filepath.Join("/elsewhere", "blip"); got != want {
		t.Errorf("override: %s, want %s", got, want)
	}
}
