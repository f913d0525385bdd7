package train

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"radcap/data"
	"radcap/data/synth"
)

// SynthOptions size the built-in synthetic chest X-ray set.
type SynthOptions struct {
	Seed                    uint64
	Size                    int // image width and height (0: synth's default)
	Train, Validation, Test int // split sizes (each 0: synth's default for it)
}

// synthConfig fills the split sizes left 0 with synth's defaults.
func (so SynthOptions) synthConfig() synth.Config {
	c := synth.Config{Seed: so.Seed, Size: so.Size, Train: so.Train, Validation: so.Validation, Test: so.Test}
	if c.Train == 0 {
		c.Train = synth.DefaultTrain
	}
	if c.Validation == 0 {
		c.Validation = synth.DefaultValidation
	}
	if c.Test == 0 {
		c.Test = synth.DefaultTest
	}
	return c
}

// OpenData opens the three splits of spec: "synthetic" (the built-in
// synthetic chest X-ray set, generated in memory), or a folder in one of
// two layouts:
//
//   - a ROCO checkout: data/{train,validation,test}/radiology/captions.txt
//     and images/, filtered to chest X-rays by their captions;
//   - a folder per split: {train,validation,test}/captions.csv (or
//     captions.jsonl) beside the images (data.LoadFolder).
func OpenData(spec string, so SynthOptions) (Splits, error) {
	if spec == "synthetic" {
		g, err := synth.NewCXR(so.synthConfig())
		if err != nil {
			return Splits{}, err
		}
		var out [3]data.Dataset
		for i, name := range synth.Splits {
			ds, err := g.Split(name)
			if err != nil {
				return Splits{}, err
			}
			if out[i], err = data.Materialize(ds, 0); err != nil {
				return Splits{}, fmt.Errorf("synthetic %s split: %w", name, err)
			}
		}
		return Splits{Train: out[0], Validation: out[1], Test: out[2]}, nil
	}
	st, err := os.Stat(spec)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Splits{}, fmt.Errorf("data %s: no such folder (want a ROCO checkout, a folder with train/, validation/ and test/ caption files, or \"synthetic\")", spec)
		}
		return Splits{}, fmt.Errorf("data %s: %w", spec, err)
	}
	if !st.IsDir() {
		return Splits{}, fmt.Errorf("data %s: not a folder", spec)
	}
	var out [3]data.Dataset
	for i, split := range []string{"train", "validation", "test"} {
		if out[i], err = OpenSplit(spec, split); err != nil {
			return Splits{}, err
		}
	}
	return Splits{Train: out[0], Validation: out[1], Test: out[2]}, nil
}

// OpenSplit opens one split of a data folder (see OpenData for the
// layouts).
func OpenSplit(dir, split string) (data.Dataset, error) {
	if _, err := data.ROCOClassDir(dir, split, "radiology"); err == nil {
		ds, err := data.LoadROCO(dir, data.ROCOOptions{Split: split, Filter: data.FilterRules})
		if err != nil {
			return nil, fmt.Errorf("data %s: %w", dir, err)
		}
		if ds.Len() == 0 {
			return nil, fmt.Errorf("data %s: split %s has no chest X-ray image with a caption (%+v)", dir, split, ds.Stats)
		}
		return ds, nil
	}
	sub := filepath.Join(dir, split)
	if st, err := os.Stat(sub); err == nil && st.IsDir() {
		ds, err := data.LoadFolder(sub)
		if err != nil {
			return nil, fmt.Errorf("data %s: %w", dir, err)
		}
		return ds, nil
	}
	return nil, fmt.Errorf("data %s: no %s split (want data/%s/radiology/ of a ROCO checkout or %s/captions.csv)", dir, split, split, split)
}

// OpenDataSplit opens one split of spec ("synthetic" or a folder).
func OpenDataSplit(spec, split string, so SynthOptions) (data.Dataset, error) {
	if spec != "synthetic" {
		return OpenSplit(spec, split)
	}
	g, err := synth.NewCXR(so.synthConfig())
	if err != nil {
		return nil, err
	}
	ds, err := g.Split(split)
	if err != nil {
		return nil, err
	}
	return data.Materialize(ds, 0)
}
