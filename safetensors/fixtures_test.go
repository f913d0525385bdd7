package safetensors

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/internal/hffixtures"
)

// fixturesDir is the Hugging Face fixture folder the tests read: the one
// RADCAP_HF_FIXTURES names, or the small copy in testdata/hf (git's
// model.safetensors and a manifest trimmed to it).
func fixturesDir() string { return hffixtures.Path() }

// manifestTensor is one tensor entry of manifest.json.
type manifestTensor struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// The reader opens every safetensors file the fixtures' manifest lists and
// finds exactly the names, dtypes and shapes the manifest (written by the
// Python generator) gives.
func TestFixturesMatchManifest(t *testing.T) {
	dir := fixturesDir()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Files map[string]json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	checked := 0
	for rel, entry := range manifest.Files {
		if !strings.HasSuffix(rel, ".safetensors") {
			continue
		}
		var want map[string]manifestTensor
		if err := json.Unmarshal(entry, &want); err != nil {
			t.Fatalf("manifest entry %s: %v", rel, err)
		}
		t.Run(rel, func(t *testing.T) {
			f, err := Open(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			wantNames := slices.Sorted(mapKeys(want))
			if got := f.Names(); !slices.Equal(got, wantNames) {
				t.Fatalf("%d names, manifest lists %d; first difference: %s", len(got), len(wantNames), firstDiff(got, wantNames))
			}
			for name, w := range want {
				info, _ := f.Info(name)
				if string(info.DType) != w.DType || !slices.Equal(info.Shape, w.Shape) {
					t.Errorf("%s: %s %v, manifest says %s %v", name, info.DType, info.Shape, w.DType, w.Shape)
				}
			}
		})
		checked++
	}
	if checked == 0 {
		t.Fatalf("manifest in %s lists no safetensors file", dir)
	}
	t.Logf("%d safetensors files of %s match the manifest", checked, dir)
}

// firstDiff describes where two sorted name lists first differ.
func firstDiff(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return "missing " + b[i]
		case i >= len(b):
			return "extra " + a[i]
		case a[i] != b[i]:
			return a[i] + " vs " + b[i]
		}
	}
	return "none"
}

// Every safetensors file anywhere under the fixture folder opens, every tensor
// reads, and each survives a write and re-read unchanged; every
// model.safetensors also opens as a checkpoint folder.
func TestEveryFixtureFileOpensAndRoundTrips(t *testing.T) {
	dir := fixturesDir()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".safetensors") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	models := 0
	for _, p := range paths {
		f, err := Open(p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		var ts []Tensor
		for _, name := range f.Names() {
			info, _ := f.Info(name)
			b, err := f.Bytes(name)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			ts = append(ts, Tensor{Name: name, DType: info.DType, Shape: info.Shape, Data: b})
		}
		out := filepath.Join(t.TempDir(), "copy.safetensors")
		if err := Write(out, ts, f.Metadata()); err != nil {
			t.Fatalf("%s: rewrite: %v", p, err)
		}
		g, err := Open(out)
		if err != nil {
			t.Fatalf("%s: reopen: %v", p, err)
		}
		for _, want := range ts {
			info, _ := g.Info(want.Name)
			b, _ := g.Bytes(want.Name)
			if info.DType != want.DType || !slices.Equal(info.Shape, want.Shape) || string(b) != string(want.Data) {
				t.Errorf("%s: %s changed in the round trip", p, want.Name)
			}
		}
		if !maps.Equal(g.Metadata(), f.Metadata()) {
			t.Errorf("%s: metadata %v became %v", p, f.Metadata(), g.Metadata())
		}
		g.Close()
		f.Close()
		if filepath.Base(p) == SingleFileName {
			models++
			c, err := OpenCheckpoint(filepath.Dir(p))
			if err != nil {
				t.Errorf("OpenCheckpoint: %v", err)
				continue
			}
			if c.Sharded() || len(c.Names()) != len(ts) {
				t.Errorf("%s: checkpoint has %d tensors, file %d", p, len(c.Names()), len(ts))
			}
			c.Close()
		}
	}
	if models == 0 {
		t.Fatalf("no model.safetensors under %s", dir)
	}
	t.Logf("%d safetensors files (%d model.safetensors) under %s", len(paths), models, dir)
}

// Values of the git model copied into testdata (always that copy: other
// fixture sets hold other numbers), read with Python's struct module from the
// same bytes (an independent reader), checked through the engine bridge.
func TestFixtureValues(t *testing.T) {
	c, err := OpenCheckpoint(filepath.Join("testdata", "hf", "git"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cases := []struct {
		name        string
		first, last float64
		n           int
	}{
		{"git.embeddings.LayerNorm.bias", -0.038624804466962814, -0.026490017771720886, 32},
		{"output.bias", 0.030453020706772804, 0.03435320407152176, 99},
	}
	for _, cs := range cases {
		tt, err := c.Tensor(cs.name)
		if err != nil {
			t.Fatal(err)
		}
		v := tt.F32()
		if len(v) != cs.n || v[0] != float32(cs.first) || v[len(v)-1] != float32(cs.last) {
			t.Errorf("%s: %d values, first %v last %v; want %d, %v, %v", cs.name, len(v), v[0], v[len(v)-1], cs.n, float32(cs.first), float32(cs.last))
		}
	}
}
