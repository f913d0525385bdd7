package synth

import (
	"fmt"

	"radcap/data"
	"radcap/imageproc"
)

// The reference run's split sizes and the default image size.
const (
	DefaultTrain      = 1700
	DefaultValidation = 200
	DefaultTest       = 200
	DefaultSize       = 128
)

// Splits are the split names, in order.
var Splits = []string{"train", "validation", "test"}

// Config sets up a chest X-ray generator. Zero fields take the defaults.
type Config struct {
	// Seed selects the data set; the same seed gives the same images and
	// captions, byte for byte.
	Seed uint64
	// Size is the width and height of the images (default 128).
	Size int
	// Train, Validation and Test are the split sizes (default 1700, 200,
	// 200).
	Train, Validation, Test int
}

// CXR generates the synthetic chest X-ray set. It holds no mutable state:
// its methods are safe for concurrent use.
type CXR struct {
	cfg Config
}

// NewCXR returns the generator of cfg (defaults filled in). A negative
// size or split length is an error.
func NewCXR(cfg Config) (*CXR, error) {
	if cfg.Size < 0 || cfg.Train < 0 || cfg.Validation < 0 || cfg.Test < 0 {
		return nil, fmt.Errorf("synth: negative size or split length in %+v", cfg)
	}
	if cfg.Size == 0 {
		cfg.Size = DefaultSize
	}
	if cfg.Size < 16 || cfg.Size > 4096 {
		return nil, fmt.Errorf("synth: image size %d outside [16, 4096]", cfg.Size)
	}
	if cfg.Train == 0 && cfg.Validation == 0 && cfg.Test == 0 {
		cfg.Train, cfg.Validation, cfg.Test = DefaultTrain, DefaultValidation, DefaultTest
	}
	return &CXR{cfg: cfg}, nil
}

// Config returns the configuration with the defaults filled in.
func (g *CXR) Config() Config { return g.cfg }

// splitInfo returns the split's code (0, 1, 2), length and id offset.
func (g *CXR) splitInfo(split string) (code uint64, n, offset int, err error) {
	switch split {
	case "train":
		return 0, g.cfg.Train, 0, nil
	case "validation":
		return 1, g.cfg.Validation, g.cfg.Train, nil
	case "test":
		return 2, g.cfg.Test, g.cfg.Train + g.cfg.Validation, nil
	}
	return 0, 0, 0, fmt.Errorf("synth: unknown split %q (want train, validation or test)", split)
}

// Len returns the number of examples in split.
func (g *CXR) Len(split string) (int, error) {
	_, n, _, err := g.splitInfo(split)
	return n, err
}

// The independent random streams of one example.
const (
	streamAnatomy = iota
	streamLesions
	streamPlacement
	streamNoise
	streamCaption
	streamSite
)

// Sample is one generated chest X-ray with everything known about it.
type Sample struct {
	ID      string
	Caption string
	Lesions []Lesion
	// Site is the hospital the film comes from, in [0, NumSites): its
	// collimator edge and marker are burnt into the image and the caption
	// usually follows its house style.
	Site int
	// Gray is the image, Size x Size 8-bit grayscale, row by row.
	Gray []uint8
	Size int
}

// Sample generates example i of split.
func (g *CXR) Sample(split string, i int) (Sample, error) {
	code, n, offset, err := g.splitInfo(split)
	if err != nil {
		return Sample{}, err
	}
	if i < 0 || i >= n {
		return Sample{}, fmt.Errorf("synth: %s index %d out of range [0,%d)", split, i, n)
	}
	idx := uint64(i)
	seed := g.cfg.Seed
	lesions := drawLesions(newRNG(seed, code, idx, streamLesions))
	a := newAnatomy(newRNG(seed, code, idx, streamAnatomy))
	sc := newScene(a, lesions, newRNG(seed, code, idx, streamPlacement))
	site := drawSite(newRNG(seed, code, idx, streamSite))
	gray := sc.render(g.cfg.Size, newRNG(seed, code, idx, streamNoise))
	burnEdge(gray, g.cfg.Size, site)
	burnMarker(gray, g.cfg.Size, site)
	capt := caption(lesions, drawPlan(newRNG(seed, code, idx, streamCaption), lesions, site))
	return Sample{
		ID: fmt.Sprintf("SYNCXR_%05d", offset+i+1), Caption: capt, Lesions: lesions,
		Site: site, Gray: gray, Size: g.cfg.Size,
	}, nil
}

// RGB returns the sample's image as RGB, the gray plane shared by all
// three channels as imageproc decodes a grayscale file.
func (s Sample) RGB() *imageproc.RGB8 {
	return &imageproc.RGB8{W: s.Size, H: s.Size, R: s.Gray, G: s.Gray, B: s.Gray}
}

// Findings returns the (finding, side) pairs of the sample's lesions.
func (s Sample) Findings() []data.Finding {
	out := make([]data.Finding, len(s.Lesions))
	for i, l := range s.Lesions {
		out[i] = l.Finding()
	}
	return out
}

// Example returns the sample as a data.Example with the image in memory,
// its findings and their multi-hot targets (data.MultiHot).
func (s Sample) Example() data.Example {
	f := s.Findings()
	return data.Example{
		ID: s.ID, Caption: s.Caption, Captions: []string{s.Caption},
		Image: s.RGB(), Findings: f, Targets: data.MultiHot(f), Licence: "CC0",
	}
}

// Split returns split as a data.Dataset whose examples are generated on
// demand (each Item call renders the image).
func (g *CXR) Split(split string) (data.Dataset, error) {
	if _, _, _, err := g.splitInfo(split); err != nil {
		return nil, err
	}
	return cxrSplit{g, split}, nil
}

// cxrSplit is one split of a CXR generator as a data.Dataset.
type cxrSplit struct {
	g     *CXR
	split string
}

// Len returns the split's length.
func (s cxrSplit) Len() int {
	n, _ := s.g.Len(s.split)
	return n
}

// Item generates example i.
func (s cxrSplit) Item(i int) (data.Example, error) {
	smp, err := s.g.Sample(s.split, i)
	if err != nil {
		return data.Example{}, err
	}
	return smp.Example(), nil
}
