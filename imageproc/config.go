package imageproc

import (
	"encoding/json"
	"fmt"
	"os"
)

// hfConfig is the part of a Hugging Face preprocessor_config.json that
// CLIPImageProcessor and BlipImageProcessor read. Pointers tell a missing
// key (class default) from a false or zero one.
type hfConfig struct {
	Type          string          `json:"image_processor_type"`
	DoResize      *bool           `json:"do_resize"`
	Size          json.RawMessage `json:"size"`
	Resample      *int            `json:"resample"`
	DoCenterCrop  *bool           `json:"do_center_crop"`
	CropSize      json.RawMessage `json:"crop_size"`
	DoRescale     *bool           `json:"do_rescale"`
	RescaleFactor *float64        `json:"rescale_factor"`
	DoNormalize   *bool           `json:"do_normalize"`
	Mean          []float64       `json:"image_mean"`
	Std           []float64       `json:"image_std"`
}

// sizeDict is transformers' size dictionary; an old-style plain integer is
// also accepted.
type sizeDict struct {
	ShortestEdge, Height, Width int
}

func parseSize(raw json.RawMessage, square bool) (sizeDict, error) {
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		if square {
			return sizeDict{Height: n, Width: n}, nil
		}
		return sizeDict{ShortestEdge: n}, nil
	}
	var d struct {
		ShortestEdge *int `json:"shortest_edge"`
		Height       *int `json:"height"`
		Width        *int `json:"width"`
		LongestEdge  *int `json:"longest_edge"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return sizeDict{}, fmt.Errorf("size %s: %w", raw, err)
	}
	switch {
	case d.LongestEdge != nil:
		return sizeDict{}, fmt.Errorf("size %s: longest_edge is not supported", raw)
	case d.ShortestEdge != nil && d.Height == nil && d.Width == nil:
		return sizeDict{ShortestEdge: *d.ShortestEdge}, nil
	case d.ShortestEdge == nil && d.Height != nil && d.Width != nil:
		return sizeDict{Height: *d.Height, Width: *d.Width}, nil
	}
	return sizeDict{}, fmt.Errorf("size %s: want {\"shortest_edge\": n} or {\"height\": h, \"width\": w}", raw)
}

// FromConfig builds a Processor from a Hugging Face preprocessor_config.json
// of a CLIPImageProcessor (GIT) or BlipImageProcessor (BLIP). Keys that are
// missing take the class defaults of transformers 4.45. Only bicubic
// resampling (resample 3) is supported. do_convert_rgb is ignored: decoding
// always yields RGB.
func FromConfig(path string) (Processor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Processor{}, fmt.Errorf("image processor config: %w", err)
	}
	p, err := parseConfig(raw)
	if err != nil {
		return Processor{}, fmt.Errorf("image processor config %s: %w", path, err)
	}
	return p, nil
}

func parseConfig(raw []byte) (Processor, error) {
	var c hfConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return Processor{}, err
	}
	var p Processor
	var clip bool
	switch c.Type {
	case "CLIPImageProcessor":
		p, clip = GIT(), true
	case "BlipImageProcessor":
		p = BLIP()
	default:
		return Processor{}, fmt.Errorf("image_processor_type %q is not supported (want CLIPImageProcessor or BlipImageProcessor)", c.Type)
	}
	if c.Size != nil {
		s, err := parseSize(c.Size, !clip)
		if err != nil {
			return Processor{}, err
		}
		p.ShortestEdge, p.Height, p.Width = s.ShortestEdge, s.Height, s.Width
	}
	if c.DoResize != nil && !*c.DoResize {
		p.ShortestEdge, p.Height, p.Width = 0, 0, 0
	}
	if c.Resample != nil && *c.Resample != 3 {
		return Processor{}, fmt.Errorf("resample %d is not supported (only 3, bicubic)", *c.Resample)
	}
	if clip && c.CropSize != nil {
		s, err := parseSize(c.CropSize, true)
		if err != nil {
			return Processor{}, fmt.Errorf("crop_size: %w", err)
		}
		if s.ShortestEdge != 0 {
			return Processor{}, fmt.Errorf("crop_size must give height and width")
		}
		p.CropHeight, p.CropWidth = s.Height, s.Width
	}
	if c.DoCenterCrop != nil && !*c.DoCenterCrop {
		p.CropHeight, p.CropWidth = 0, 0
	}
	if c.RescaleFactor != nil {
		p.RescaleFactor = *c.RescaleFactor
	}
	if c.DoRescale != nil && !*c.DoRescale {
		p.RescaleFactor = 1
	}
	if c.DoNormalize != nil {
		p.Normalize = *c.DoNormalize
	}
	for _, m := range []struct {
		name string
		src  []float64
		dst  *[3]float64
	}{{"image_mean", c.Mean, &p.Mean}, {"image_std", c.Std, &p.Std}} {
		switch len(m.src) {
		case 0:
		case 1:
			*m.dst = [3]float64{m.src[0], m.src[0], m.src[0]}
		case 3:
			copy(m.dst[:], m.src)
		default:
			return Processor{}, fmt.Errorf("%s has %d values, want 1 or 3", m.name, len(m.src))
		}
	}
	if p.Normalize {
		for i, s := range p.Std {
			if s == 0 {
				return Processor{}, fmt.Errorf("image_std[%d] is 0", i)
			}
		}
	}
	if p.ShortestEdge < 0 || p.Height < 0 || p.Width < 0 || p.CropHeight < 0 || p.CropWidth < 0 {
		return Processor{}, fmt.Errorf("negative size")
	}
	return p, nil
}
