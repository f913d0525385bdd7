package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"radcap/data"
	"radcap/imageproc"
)

// TestDefaultSplitSizes: the reference run's 1,700 / 200 / 200.
func TestDefaultSplitSizes(t *testing.T) {
	g, err := NewCXR(Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"train": 1700, "validation": 200, "test": 200}
	for split, n := range want {
		got, err := g.Len(split)
		if err != nil || got != n {
			t.Errorf("Len(%s) = %d, %v; want %d", split, got, err, n)
		}
		ds, err := g.Split(split)
		if err != nil || ds.Len() != n {
			t.Errorf("Split(%s).Len() = %v, %v; want %d", split, ds, err, n)
		}
	}
	if _, err := g.Len("dev"); err == nil {
		t.Error("Len(dev): no error")
	}
	if _, err := g.Sample("test", 200); err == nil {
		t.Error("Sample(test, 200): no error")
	}
	if _, err := g.Sample("test", -1); err == nil {
		t.Error("Sample(test, -1): no error")
	}
	for _, bad := range []Config{{Size: -1}, {Size: 8}, {Train: -5}} {
		if _, err := NewCXR(bad); err == nil {
			t.Errorf("NewCXR(%+v): no error", bad)
		}
	}
}

// TestDeterministic: the same seed gives byte-identical images and equal
// captions whatever the order and concurrency; another seed differs.
func TestDeterministic(t *testing.T) {
	g1, _ := NewCXR(Config{Seed: 42, Size: 64})
	g2, _ := NewCXR(Config{Seed: 42, Size: 64})
	g3, _ := NewCXR(Config{Seed: 43, Size: 64})
	const n = 12
	first := make([]Sample, n)
	for i := 0; i < n; i++ {
		first[i], _ = g1.Sample("validation", i)
	}
	second := make([]Sample, n)
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- { // reverse order, in parallel
		wg.Add(1)
		go func() {
			defer wg.Done()
			second[i], _ = g2.Sample("validation", i)
		}()
	}
	wg.Wait()
	differ := 0
	for i := 0; i < n; i++ {
		if !bytes.Equal(first[i].Gray, second[i].Gray) || first[i].Caption != second[i].Caption || first[i].ID != second[i].ID || first[i].Site != second[i].Site {
			t.Errorf("sample %d differs between two generators with seed 42", i)
		}
		other, _ := g3.Sample("validation", i)
		if bytes.Equal(first[i].Gray, other.Gray) {
			differ++
		}
	}
	if differ > 0 {
		t.Errorf("%d images identical under seeds 42 and 43", differ)
	}
	a, _ := g1.Sample("train", 0)
	b, _ := g1.Sample("test", 0)
	if bytes.Equal(a.Gray, b.Gray) || a.ID == b.ID {
		t.Error("train 0 and test 0 are the same example")
	}
}

// TestFindingDistribution: each of the seven classes about 1/7 of the
// training split, some images with two findings, every side and size
// present; and every caption labels back to its findings.
func TestFindingDistribution(t *testing.T) {
	g, _ := NewCXR(Config{Seed: 1})
	code, n, _, _ := g.splitInfo("train")
	count := map[data.Kind]int{}
	two, sides := 0, map[data.Side]int{}
	for i := 0; i < n; i++ {
		ls := drawLesions(newRNG(1, code, uint64(i), streamLesions))
		if len(ls) == 2 {
			two++
		}
		for _, l := range ls {
			count[l.Kind]++
			sides[l.Side]++
		}
		site := drawSite(newRNG(1, code, uint64(i), streamSite))
		c := caption(ls, drawPlan(newRNG(1, code, uint64(i), streamCaption), ls, site))
		if got, want := data.Label(c), findingsOf(ls); !equalFindings(got, want) {
			t.Errorf("train %d: Label(%q) = %v, want %v", i, c, got, want)
		}
	}
	for _, k := range data.AllKinds() {
		frac := float64(count[k]) / float64(n)
		if frac < 0.10 || frac > 0.22 {
			t.Errorf("%v in %.3f of the images, want about 1/7", k, frac)
		}
	}
	if f := float64(two) / float64(n); f < 0.08 || f > 0.25 {
		t.Errorf("%.3f of the images have two findings, want about 0.17", f)
	}
	for _, s := range []data.Side{data.SideLeft, data.SideRight, data.SideBilateral, data.SideNone} {
		if sides[s] == 0 {
			t.Errorf("no finding on side %v", s)
		}
	}
}

func equalFindings(a, b []data.Finding) bool {
	if len(b) == 1 && b[0].Kind == data.KindNone {
		b = []data.Finding{{Kind: data.KindNone, Side: data.SideNone}}
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWriteROCORoundTrip writes a small set in the ROCO layout and reads it
// back with data.LoadROCO: ids, captions and pixels survive.
func TestWriteROCORoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Seed: 9, Size: 40, Train: 5, Validation: 3, Test: 2}
	if err := WriteROCO(dir, cfg, 2); err != nil {
		t.Fatal(err)
	}
	g, _ := NewCXR(cfg)
	for _, split := range Splits {
		ds, err := data.LoadROCO(dir, data.ROCOOptions{Split: split})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := g.Len(split)
		if ds.Len() != n || ds.Stats.Missing != 0 {
			t.Fatalf("%s: %d examples, %d missing; want %d, 0", split, ds.Len(), ds.Stats.Missing, n)
		}
		for i := 0; i < n; i++ {
			ex, _ := ds.Item(i)
			s, _ := g.Sample(split, i)
			if ex.ID != s.ID || ex.Caption != s.Caption || ex.Licence != "CC0" {
				t.Errorf("%s %d: read %q %q %q, wrote %q %q CC0", split, i, ex.ID, ex.Caption, ex.Licence, s.ID, s.Caption)
			}
			img, err := imageproc.DecodeFile(ex.ImagePath)
			if err != nil {
				t.Fatal(err)
			}
			if img.W != 40 || img.H != 40 || !bytes.Equal(img.R, s.Gray) || !bytes.Equal(img.G, s.Gray) {
				t.Errorf("%s: decoded pixels differ from the generated image", ex.ImagePath)
			}
		}
	}
	caps, err := os.ReadFile(filepath.Join(dir, "data", "test", "radiology", "captions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(caps), "SYNCXR_00009\t ") {
		t.Errorf("test captions.txt starts %q, want SYNCXR_00009<tab><space>", caps[:min(len(caps), 20)])
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "data", "*", "radiology", ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}
