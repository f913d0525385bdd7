package data

import (
	"fmt"
	"runtime"
	"sync"

	"radcap/imageproc"
)

// Example is one image with its caption(s).
type Example struct {
	// ID names the example (a ROCO id, a file name, a synthetic id).
	ID string
	// Caption is the first caption; Captions holds all of them (one for
	// ROCO and synthetic data, possibly several for a folder).
	Caption  string
	Captions []string
	// ImagePath is the image file; Image, when not nil, is the image itself
	// and takes precedence (synthetic data).
	ImagePath string
	Image     *imageproc.RGB8
	// Findings are the true findings when the data source knows them (the
	// synthetic set); nil otherwise. Label(Caption) estimates them.
	Findings []Finding
	// Targets is an optional multi-hot vector of image-level labels (for a
	// direct image objective); the synthetic generators fill it.
	Targets []float32
	// Licence is the licence code when the source records one ("CC BY").
	Licence string
}

// Dataset is a finite, indexable collection of examples. Item must be safe
// for concurrent use by several goroutines.
type Dataset interface {
	// Len is the number of examples.
	Len() int
	// Item returns example i, 0 <= i < Len().
	Item(i int) (Example, error)
}

// LoadImage returns the example's image: ex.Image when set, otherwise the
// decoded file at ex.ImagePath (maxPixels limits its size; 0 means
// imageproc.DefaultMaxPixels).
func LoadImage(ex Example, maxPixels int) (*imageproc.RGB8, error) {
	if ex.Image != nil {
		return ex.Image, nil
	}
	if ex.ImagePath == "" {
		return nil, fmt.Errorf("example %q has neither an image nor an image path", ex.ID)
	}
	if maxPixels <= 0 {
		maxPixels = imageproc.DefaultMaxPixels
	}
	img, err := imageproc.DecodeFileLimit(ex.ImagePath, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("example %s: %w", ex.ID, err)
	}
	return img, nil
}

// CLIPProcessor returns the CLIP preprocessing of GIT (shortest edge,
// centre crop, bicubic, rescale 1/255, CLIP mean and std) at another size,
// for small models: size 224 is imageproc.GIT() itself.
func CLIPProcessor(size int) imageproc.Processor {
	p := imageproc.GIT()
	p.ShortestEdge, p.CropWidth, p.CropHeight = size, size, size
	return p
}

// Slice is a Dataset backed by a slice of examples.
type Slice []Example

// Len returns len(s).
func (s Slice) Len() int { return len(s) }

// Item returns s[i], or an error when i is out of range.
func (s Slice) Item(i int) (Example, error) {
	if i < 0 || i >= len(s) {
		return Example{}, fmt.Errorf("example index %d out of range [0,%d)", i, len(s))
	}
	return s[i], nil
}

// Materialize reads every example of ds once, with up to workers
// goroutines (0: GOMAXPROCS), and returns them as a Slice: for generated
// data that an epoch loop would otherwise regenerate every epoch. The
// result keeps the dataset order; the first error (by index) is returned.
func Materialize(ds Dataset, workers int) (Slice, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := ds.Len()
	out := make(Slice, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = ds.Item(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("materialize example %d: %w", i, err)
		}
	}
	return out, nil
}
