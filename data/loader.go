package data

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"

	"radcap/imageproc"
	"radcap/tensor"
	"radcap/tokenizer"
)

// IgnoreIndex is the label of padding positions, which the loss skips
// (PyTorch's and transformers' -100).
const IgnoreIndex = -100

// LoaderOptions configure a Loader.
type LoaderOptions struct {
	// BatchSize is the number of examples per batch (required, > 0).
	BatchSize int
	// Shuffle draws a new order every epoch from Seed and the epoch
	// number; without it the dataset order is kept.
	Shuffle bool
	Seed    uint64
	// DropLast drops the last batch when it is smaller than BatchSize.
	DropLast bool
	// Processor resizes and normalises every image, e.g. imageproc.GIT(),
	// imageproc.BLIP() or CLIPProcessor(64). It must give every image the
	// same size (a crop or a fixed Width x Height).
	Processor imageproc.Processor
	// MaxPixels limits decoded image files (0: imageproc.DefaultMaxPixels).
	MaxPixels int
	// Tokenizer encodes the captions; nil leaves the text tensors out.
	Tokenizer *tokenizer.Tokenizer
	// MaxLength truncates captions to this many tokens, [CLS] and [SEP]
	// included (0: the tokenizer's model maximum).
	MaxLength int
	// Workers is the number of goroutines preparing batches (0: the
	// number of CPUs, at most 4). Prefetch is how many batches may be
	// ready or in preparation ahead of the consumer (0: 2 x Workers).
	Workers, Prefetch int
}

// Batch is a training or evaluation batch.
type Batch struct {
	// Epoch and Index say which batch this is (Index counts from 0).
	Epoch, Index int
	// IDs, Captions (the caption encoded for each example: of an example
	// with n captions, epoch i uses caption (i + index) mod n, so the
	// epochs cycle through them), References (all its captions) and
	// Findings (nil where unknown), per example.
	IDs        []string
	Captions   []string
	References [][]string
	Findings   [][]Finding
	// PixelValues is F32 [B, 3, H, W].
	PixelValues *tensor.Tensor
	// InputIDs, AttentionMask and Labels are I64 [B, L], L the longest
	// encoded caption of the batch: ids padded with [PAD], mask 1 for real
	// tokens and 0 for padding, labels the ids with padding set to
	// IgnoreIndex. Nil without a tokenizer.
	InputIDs, AttentionMask, Labels *tensor.Tensor
	// Targets is F32 [B, K] when every example has Targets of one length
	// K (the synthetic sets), nil otherwise.
	Targets *tensor.Tensor
}

// Len returns the number of examples in the batch.
func (b *Batch) Len() int { return len(b.IDs) }

// Loader turns a Dataset into batches.
type Loader struct {
	ds   Dataset
	opts LoaderOptions
}

// NewLoader checks opts and returns a loader over ds.
func NewLoader(ds Dataset, opts LoaderOptions) (*Loader, error) {
	if ds == nil {
		return nil, errors.New("loader: nil dataset")
	}
	if opts.BatchSize <= 0 {
		return nil, fmt.Errorf("loader: batch size %d, want > 0", opts.BatchSize)
	}
	if opts.MaxLength < 0 || opts.Workers < 0 || opts.Prefetch < 0 {
		return nil, fmt.Errorf("loader: negative max length, workers or prefetch in %+v", opts)
	}
	if opts.Workers == 0 {
		opts.Workers = min(4, runtime.GOMAXPROCS(0))
	}
	if opts.Prefetch == 0 {
		opts.Prefetch = 2 * opts.Workers
	}
	return &Loader{ds: ds, opts: opts}, nil
}

// NumBatches returns the number of batches in an epoch.
func (l *Loader) NumBatches() int {
	n, b := l.ds.Len(), l.opts.BatchSize
	if l.opts.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the order in which epoch visits the dataset: a
// permutation drawn from PCG(Seed, epoch) when shuffling, 0..n-1
// otherwise.
func (l *Loader) Order(epoch int) []int {
	if perm := l.perm(epoch); perm != nil {
		return perm
	}
	order := make([]int, l.ds.Len())
	for i := range order {
		order[i] = i
	}
	return order
}

// perm returns the shuffled order of epoch, or nil without shuffling (so
// that a huge streaming dataset, such as the synthetic shapes, needs no
// index slice).
func (l *Loader) perm(epoch int) []int {
	if !l.opts.Shuffle {
		return nil
	}
	return rand.New(rand.NewPCG(l.opts.Seed, uint64(epoch))).Perm(l.ds.Len())
}

// Batch builds batch k of epoch on the calling goroutine (Epoch runs it
// in workers).
func (l *Loader) Batch(epoch, k int) (*Batch, error) {
	return l.build(epoch, k, l.perm(epoch))
}

// build assembles batch k of epoch, whose example order is perm (nil:
// dataset order).
func (l *Loader) build(epoch, k int, perm []int) (*Batch, error) {
	if k < 0 || k >= l.NumBatches() {
		return nil, fmt.Errorf("loader: batch %d out of range [0,%d)", k, l.NumBatches())
	}
	lo, hi := k*l.opts.BatchSize, min((k+1)*l.opts.BatchSize, l.ds.Len())
	idx := make([]int, 0, hi-lo)
	for p := lo; p < hi; p++ {
		if perm != nil {
			idx = append(idx, perm[p])
		} else {
			idx = append(idx, p)
		}
	}
	b := &Batch{Epoch: epoch, Index: k}
	var pix []float32
	var c, h, w int
	var targets []float32
	haveTargets := true
	for j, i := range idx {
		ex, err := l.ds.Item(i)
		if err != nil {
			return nil, fmt.Errorf("loader: example %d: %w", i, err)
		}
		img, err := LoadImage(ex, l.opts.MaxPixels)
		if err != nil {
			return nil, fmt.Errorf("loader: %w", err)
		}
		chw, err := l.opts.Processor.Preprocess(img)
		if err != nil {
			return nil, fmt.Errorf("loader: example %s: %w", ex.ID, err)
		}
		if j == 0 {
			c, h, w = chw.C, chw.H, chw.W
			pix = make([]float32, 0, len(idx)*c*h*w)
		} else if chw.C != c || chw.H != h || chw.W != w {
			return nil, fmt.Errorf("loader: example %s preprocesses to %dx%dx%d, the batch's first to %dx%dx%d; use a processor with a fixed output size",
				ex.ID, chw.C, chw.H, chw.W, c, h, w)
		}
		pix = append(pix, chw.Data...)
		caps := ex.Captions
		if len(caps) == 0 {
			caps = []string{ex.Caption}
		}
		b.IDs = append(b.IDs, ex.ID)
		b.Captions = append(b.Captions, caps[(epoch+i)%len(caps)])
		b.References = append(b.References, caps)
		b.Findings = append(b.Findings, ex.Findings)
		if len(ex.Targets) == 0 || (j > 0 && len(ex.Targets)*j != len(targets)) {
			haveTargets = false
		}
		targets = append(targets, ex.Targets...)
	}
	b.PixelValues = tensor.FromF32(pix, len(idx), c, h, w)
	if haveTargets {
		b.Targets = tensor.FromF32(targets, len(idx), len(targets)/len(idx))
	}
	if l.opts.Tokenizer != nil {
		if err := l.encode(b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// encode tokenizes b.Captions into the text tensors.
func (l *Loader) encode(b *Batch) error {
	encs, err := l.opts.Tokenizer.EncodeBatchFull(b.Captions, tokenizer.EncodeOptions{
		Truncate: true, MaxLength: l.opts.MaxLength, Padding: tokenizer.PadToLongest,
	})
	if err != nil {
		return fmt.Errorf("loader: batch %d: %w", b.Index, err)
	}
	n, width := len(encs), len(encs[0].IDs)
	ids := make([]int64, 0, n*width)
	mask := make([]int64, 0, n*width)
	labels := make([]int64, 0, n*width)
	for i, e := range encs {
		if len(e.IDs) != width || len(e.AttentionMask) != width {
			return fmt.Errorf("loader: batch %d: caption %s encodes to %d ids, want %d", b.Index, b.IDs[i], len(e.IDs), width)
		}
		ids = append(ids, e.IDs...)
		mask = append(mask, e.AttentionMask...)
		for t, id := range e.IDs {
			if e.AttentionMask[t] == 0 {
				id = IgnoreIndex
			}
			labels = append(labels, id)
		}
	}
	b.InputIDs = tensor.FromI64(ids, n, width)
	b.AttentionMask = tensor.FromI64(mask, n, width)
	b.Labels = tensor.FromI64(labels, n, width)
	return nil
}

// Epoch is one pass over the data, prepared by worker goroutines. Call
// Next until io.EOF, or Close to stop early; Next and Close belong to one
// consumer goroutine.
type Epoch struct {
	// slots hold finished batches: batch k goes to slot k mod Prefetch,
	// free by then because at most Prefetch batches are ahead.
	slots   []chan batchResult
	batches int
	next    int
	ahead   chan struct{} // one token per batch ready or in preparation
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	err     error
}

type batchResult struct {
	b   *Batch
	err error
}

// Epoch starts preparing the batches of epoch: Workers goroutines build
// them, at most Prefetch ahead of the consumer. Next returns them in
// order, so the batches depend only on the seed and the epoch, never on
// the workers' timing.
func (l *Loader) Epoch(epoch int) *Epoch {
	perm := l.perm(epoch)
	nb := l.NumBatches()
	e := &Epoch{
		slots:   make([]chan batchResult, l.opts.Prefetch),
		batches: nb,
		ahead:   make(chan struct{}, l.opts.Prefetch),
		stop:    make(chan struct{}),
	}
	for i := range e.slots {
		e.slots[i] = make(chan batchResult, 1)
	}
	jobs := make(chan int)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(jobs)
		for k := 0; k < nb; k++ {
			select {
			case e.ahead <- struct{}{}:
			case <-e.stop:
				return
			}
			select {
			case jobs <- k:
			case <-e.stop:
				return
			}
		}
	}()
	for w := 0; w < l.opts.Workers; w++ {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for k := range jobs {
				b, err := l.build(epoch, k, perm)
				e.slots[k%len(e.slots)] <- batchResult{b, err}
			}
		}()
	}
	return e
}

// Next returns the next batch, io.EOF after the last one, or the error
// that preparing it met (after which the epoch is closed).
func (e *Epoch) Next() (*Batch, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.next >= e.batches {
		e.Close()
		e.err = io.EOF
		return nil, io.EOF
	}
	r := <-e.slots[e.next%len(e.slots)]
	<-e.ahead
	e.next++
	if r.err != nil {
		e.Close()
		e.err = r.err
		return nil, r.err
	}
	return r.b, nil
}

// Close stops the workers and waits for them. It is safe to call more
// than once; Next after Close returns an error.
func (e *Epoch) Close() {
	e.once.Do(func() {
		close(e.stop)
		e.wg.Wait()
		if e.err == nil {
			e.err = errors.New("loader: epoch closed")
		}
	})
}
