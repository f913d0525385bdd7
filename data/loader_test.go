package data_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"radcap/data"
	"radcap/data/synth"
	"radcap/imageproc"
	"radcap/tokenizer"
)

// smallCXR returns a 13-example synthetic split at 48x48.
func smallCXR(t *testing.T) data.Dataset {
	t.Helper()
	g, err := synth.NewCXR(synth.Config{Seed: 4, Size: 48, Train: 13, Validation: 1, Test: 1})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := g.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func collect(t *testing.T, l *data.Loader, epoch int) []*data.Batch {
	t.Helper()
	e := l.Epoch(epoch)
	defer e.Close()
	var out []*data.Batch
	for {
		b, err := e.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

// TestLoaderBatches: tensors against direct calls of the processor and
// the tokenizer, padding to the longest caption, labels -100 on padding.
func TestLoaderBatches(t *testing.T) {
	ds := smallCXR(t)
	tok := tokenizer.BertBaseUncased()
	proc := data.CLIPProcessor(32)
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: 4, Processor: proc, Tokenizer: tok, MaxLength: 40, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	batches := collect(t, l, 0)
	if len(batches) != 4 || l.NumBatches() != 4 || batches[3].Len() != 1 {
		t.Fatalf("%d batches, last of %d; want 4, last of 1", len(batches), batches[len(batches)-1].Len())
	}
	for k, b := range batches {
		n := b.Len()
		if got := b.PixelValues.Shape(); !slices.Equal(got, []int{n, 3, 32, 32}) {
			t.Fatalf("batch %d pixel shape %v", k, got)
		}
		pix := b.PixelValues.F32()
		longest := 0
		for j := 0; j < n; j++ {
			i := 4*k + j // no shuffle: dataset order
			ex, _ := ds.Item(i)
			if b.IDs[j] != ex.ID || b.Captions[j] != ex.Caption || !slices.Equal(b.Findings[j], ex.Findings) {
				t.Errorf("batch %d row %d: %s %q, want %s %q", k, j, b.IDs[j], b.Captions[j], ex.ID, ex.Caption)
			}
			want, err := proc.Preprocess(ex.Image)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pix[j*3*32*32:(j+1)*3*32*32], want.Data) {
				t.Errorf("batch %d row %d: pixels differ from Processor.Preprocess", k, j)
			}
			enc, _ := tok.Encode(ex.Caption, tokenizer.EncodeOptions{Truncate: true, MaxLength: 40})
			longest = max(longest, len(enc.IDs))
		}
		L := b.InputIDs.Dim(1)
		if L != longest || !slices.Equal(b.AttentionMask.Shape(), []int{n, L}) || !slices.Equal(b.Labels.Shape(), []int{n, L}) {
			t.Fatalf("batch %d: text width %d, longest caption %d", k, L, longest)
		}
		ids, mask, labels := b.InputIDs.I64(), b.AttentionMask.I64(), b.Labels.I64()
		for j := 0; j < n; j++ {
			enc, _ := tok.Encode(b.Captions[j], tokenizer.EncodeOptions{Truncate: true, MaxLength: 40})
			for p := 0; p < L; p++ {
				id, m, lab := ids[j*L+p], mask[j*L+p], labels[j*L+p]
				if p < len(enc.IDs) {
					if id != enc.IDs[p] || m != 1 || lab != id {
						t.Fatalf("batch %d row %d pos %d: id %d mask %d label %d, want %d 1 %d", k, j, p, id, m, lab, enc.IDs[p], enc.IDs[p])
					}
				} else if id != int64(tok.PadID()) || m != 0 || lab != data.IgnoreIndex {
					t.Fatalf("batch %d row %d pos %d (padding): id %d mask %d label %d", k, j, p, id, m, lab)
				}
			}
		}
		if b.Targets == nil || !slices.Equal(b.Targets.Shape(), []int{n, data.NumClasses}) {
			t.Errorf("batch %d targets %v", k, b.Targets)
		}
	}
}

// TestLoaderShuffleDeterministic: the order depends on seed and epoch
// only, not on the number of workers or their timing; each epoch visits
// every example once.
func TestLoaderShuffleDeterministic(t *testing.T) {
	ds := smallCXR(t)
	ids := func(workers, prefetch int, seed uint64, epoch int, drop bool) []string {
		l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: 3, Shuffle: true, Seed: seed, DropLast: drop,
			Processor: data.CLIPProcessor(16), Workers: workers, Prefetch: prefetch})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range collect(t, l, epoch) {
			out = append(out, b.IDs...)
		}
		return out
	}
	a := ids(1, 1, 7, 0, false)
	if b := ids(4, 8, 7, 0, false); !slices.Equal(a, b) {
		t.Errorf("1 worker %v\n4 workers %v", a, b)
	}
	if b := ids(3, 1, 7, 0, false); !slices.Equal(a, b) {
		t.Errorf("1 worker %v\n3 workers, prefetch 1: %v", a, b)
	}
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	if len(a) != 13 || len(slices.Compact(sorted)) != 13 {
		t.Errorf("epoch visits %v", a)
	}
	if b := ids(2, 0, 7, 1, false); slices.Equal(a, b) {
		t.Error("epochs 0 and 1 in the same order")
	}
	if b := ids(2, 0, 8, 0, false); slices.Equal(a, b) {
		t.Error("seeds 7 and 8 give the same order")
	}
	if b := ids(2, 0, 7, 0, true); len(b) != 12 || !slices.Equal(b, a[:12]) {
		t.Errorf("drop last: %v", b)
	}
}

// countingDataset counts Item calls and can fail one index.
type countingDataset struct {
	data.Dataset
	calls atomic.Int64
	fail  int
}

func (c *countingDataset) Item(i int) (data.Example, error) {
	c.calls.Add(1)
	if i == c.fail {
		return data.Example{}, fmt.Errorf("broken example %d", i)
	}
	return c.Dataset.Item(i)
}

// TestLoaderPrefetches: while the consumer holds batch 0 (and trains on
// it), the workers prepare the following batches, up to Prefetch ahead.
func TestLoaderPrefetches(t *testing.T) {
	ds := &countingDataset{Dataset: smallCXR(t), fail: -1}
	l, _ := data.NewLoader(ds, data.LoaderOptions{BatchSize: 2, Processor: data.CLIPProcessor(16), Workers: 2, Prefetch: 3})
	e := l.Epoch(0)
	defer e.Close()
	if _, err := e.Next(); err != nil {
		t.Fatal(err)
	}
	// batch 0 is consumed; batches 1, 2 and 3 (6 examples) get prepared
	// without any further Next call.
	deadline := time.Now().Add(20 * time.Second)
	for ds.calls.Load() < 8 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := ds.calls.Load(); got != 8 {
		t.Fatalf("%d examples prepared after batch 0 was taken; want 8 (batches 0-3)", got)
	}
	time.Sleep(50 * time.Millisecond)
	if got := ds.calls.Load(); got != 8 {
		t.Errorf("%d examples prepared, more than Prefetch=3 batches ahead", got)
	}
}

// TestLoaderErrors: a failing example stops the epoch with its error;
// Close mid-epoch returns; bad options are errors.
func TestLoaderErrors(t *testing.T) {
	ds := &countingDataset{Dataset: smallCXR(t), fail: 5}
	l, _ := data.NewLoader(ds, data.LoaderOptions{BatchSize: 2, Processor: data.CLIPProcessor(16), Workers: 3})
	e := l.Epoch(0)
	var err error
	n := 0
	for err == nil {
		_, err = e.Next()
		n++
	}
	if errors.Is(err, io.EOF) || n != 3 || !strings.Contains(err.Error(), "broken example 5") {
		t.Errorf("after %d batches: %v; want the error of example 5 at batch 2", n, err)
	}
	if _, err2 := e.Next(); err2 == nil {
		t.Error("Next after an error: nil")
	}
	e.Close()
	good, _ := data.NewLoader(smallCXR(t), data.LoaderOptions{BatchSize: 1, Processor: data.CLIPProcessor(16), Workers: 2})
	e = good.Epoch(0)
	e.Next()
	e.Close() // must not hang
	e.Close()
	if _, err := e.Next(); err == nil {
		t.Error("Next after Close: nil error")
	}
	if _, err := data.NewLoader(ds, data.LoaderOptions{}); err == nil {
		t.Error("batch size 0: no error")
	}
	if _, err := good.Batch(0, 99); err == nil {
		t.Error("Batch(0, 99): no error")
	}
	// images of different sizes without a fixed-size processor
	mixed := data.Slice{}
	for i, s := range []int{20, 24} {
		g, _ := synth.NewCXR(synth.Config{Seed: 1, Size: s, Train: 1, Validation: 1, Test: 1})
		ex, _ := g.Split("train")
		x, _ := ex.Item(0)
		x.ID = fmt.Sprint("img", i)
		mixed = append(mixed, x)
	}
	noResize, _ := data.NewLoader(mixed, data.LoaderOptions{BatchSize: 2, Processor: imageproc.Processor{RescaleFactor: 1}})
	if _, err := noResize.Batch(0, 0); err == nil || !strings.Contains(err.Error(), "img1") {
		t.Errorf("mixed sizes: %v", err)
	}
}

// TestLoaderStreamsShapes: the shapes set (16M examples, generated on
// demand) streams through the loader in dataset order without an index
// slice; targets come with every batch.
func TestLoaderStreamsShapes(t *testing.T) {
	g, err := synth.NewShapes(synth.ShapesConfig{Seed: 2, Size: 32})
	if err != nil {
		t.Fatal(err)
	}
	l, err := data.NewLoader(g, data.LoaderOptions{BatchSize: 4, Processor: data.CLIPProcessor(32), Tokenizer: tokenizer.BertBaseUncased(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if l.NumBatches() != g.Len()/4 {
		t.Fatalf("%d batches", l.NumBatches())
	}
	e := l.Epoch(0)
	defer e.Close()
	for k := 0; k < 3; k++ {
		b, err := e.Next()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := g.Item(4*k + 3)
		if b.IDs[3] != want.ID || b.Captions[3] != want.Caption || !slices.Equal(b.Targets.Shape(), []int{4, synth.NumShapeTargets}) {
			t.Errorf("batch %d: %v %v", k, b.IDs, b.Targets)
		}
	}
}

// TestMaterialize: the cached slice equals the generated examples, in
// order; an error names its example.
func TestMaterialize(t *testing.T) {
	ds := smallCXR(t)
	m, err := data.Materialize(ds, 3)
	if err != nil || m.Len() != ds.Len() {
		t.Fatalf("len %d, %v", m.Len(), err)
	}
	for i := 0; i < ds.Len(); i++ {
		a, _ := ds.Item(i)
		b, _ := m.Item(i)
		if a.ID != b.ID || a.Caption != b.Caption || !slices.Equal(a.Image.R, b.Image.R) {
			t.Errorf("example %d differs", i)
		}
	}
	if _, err := data.Materialize(&countingDataset{Dataset: ds, fail: 4}, 2); err == nil || !strings.Contains(err.Error(), "example 4") {
		t.Errorf("error: %v", err)
	}
}
