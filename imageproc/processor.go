package imageproc

import (
	"fmt"
	"os"
)

// OpenAI CLIP's per-channel mean and standard deviation, used by both the
// GIT and the BLIP processors.
var (
	clipMean = [3]float64{0.48145466, 0.4578275, 0.40821073}
	clipStd  = [3]float64{0.26862954, 0.26130258, 0.27577711}
)

// Processor turns an RGB image into normalised float32 pixels the way a
// Hugging Face image processor does. The zero value is not useful; start
// from GIT() or BLIP(), or FromConfig.
type Processor struct {
	// ShortestEdge, when positive, resizes so that the shorter side becomes
	// ShortestEdge and the longer int(ShortestEdge*long/short), keeping the
	// aspect ratio (CLIPImageProcessor). Otherwise the image is resized to
	// exactly Width x Height (BlipImageProcessor). With ShortestEdge 0 and
	// Width or Height 0 there is no resize.
	ShortestEdge  int
	Width, Height int
	// CropWidth and CropHeight, when positive, centre-crop the resized image
	// as transformers' center_crop does (zero padding where it is smaller).
	CropWidth, CropHeight int
	// RescaleFactor multiplies each 8-bit value, in float64, before the
	// result is cast to float32 (1/255 for both models).
	RescaleFactor float64
	// Normalize enables (x - Mean[c]) / Std[c], computed in float32.
	Normalize bool
	Mean, Std [3]float64
	// MaxPixels limits the decoded image size in PreprocessFile and
	// PreprocessBytes; 0 means DefaultMaxPixels.
	MaxPixels int
	// Workers is the number of goroutines resizing may use (0 or 1: the
	// calling goroutine only). Results do not depend on it. Worth raising
	// for one image at a time on an idle multi-core machine; a data loader
	// that preprocesses several images at once should leave it at 0.
	Workers int
}

// GIT returns the settings of microsoft/git-base's CLIPImageProcessor:
// shortest edge 224, centre crop 224x224, bicubic, rescale 1/255, CLIP
// mean and std.
func GIT() Processor {
	return Processor{
		ShortestEdge: 224, CropWidth: 224, CropHeight: 224,
		RescaleFactor: 1.0 / 255, Normalize: true, Mean: clipMean, Std: clipStd,
	}
}

// BLIP returns the settings of Salesforce/blip-image-captioning-base's
// BlipImageProcessor: 384x384 bicubic, rescale 1/255, CLIP mean and std.
func BLIP() Processor {
	return Processor{
		Width: 384, Height: 384,
		RescaleFactor: 1.0 / 255, Normalize: true, Mean: clipMean, Std: clipStd,
	}
}

// resizeTarget returns the size an image of w x h is resized to.
func (p Processor) resizeTarget(w, h int) (int, int) {
	if p.ShortestEdge > 0 {
		short, long := w, h
		if w > h {
			short, long = h, w
		}
		// Python: int(size * long / short), a float division truncated.
		newLong := int(float64(p.ShortestEdge*long) / float64(short))
		if w <= h {
			return p.ShortestEdge, newLong
		}
		return newLong, p.ShortestEdge
	}
	if p.Width > 0 && p.Height > 0 {
		return p.Width, p.Height
	}
	return w, h
}

// target validates img and p and returns the size img is resized to.
func (p Processor) target(img *RGB8) (int, int, error) {
	if err := img.validate(); err != nil {
		return 0, 0, fmt.Errorf("preprocess: %w", err)
	}
	if p.ShortestEdge < 0 || p.Width < 0 || p.Height < 0 || p.CropWidth < 0 || p.CropHeight < 0 {
		return 0, 0, fmt.Errorf("preprocess: negative size in processor settings %+v", p)
	}
	w, h := p.resizeTarget(img.W, img.H)
	if w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("preprocess: image %dx%d resizes to empty %dx%d", img.W, img.H, w, h)
	}
	return w, h, nil
}

// Resize returns img resized and cropped by p, still in 8 bits: the image
// right before rescaling.
func (p Processor) Resize(img *RGB8) (*RGB8, error) {
	w, h, err := p.target(img)
	if err != nil {
		return nil, err
	}
	if p.CropWidth <= 0 || p.CropHeight <= 0 {
		return resizeWindow(img, w, h, 0, 0, w, h, p.Workers)
	}
	// A crop that fits inside the resized image only needs the pixels it
	// keeps; a larger one pads, and is done on the full resize.
	top, left := floorDiv(h-p.CropHeight, 2), floorDiv(w-p.CropWidth, 2)
	if top >= 0 && left >= 0 {
		return resizeWindow(img, w, h, left, top, p.CropWidth, p.CropHeight, p.Workers)
	}
	full, err := resizeWindow(img, w, h, 0, 0, w, h, p.Workers)
	if err != nil {
		return nil, err
	}
	return CenterCrop(full, p.CropWidth, p.CropHeight)
}

// Preprocess resizes, crops, rescales and normalises img into a [3,H,W]
// float32 image.
func (p Processor) Preprocess(img *RGB8) (CHW, error) {
	r, err := p.Resize(img)
	if err != nil {
		return CHW{}, err
	}
	return p.toCHW(r), nil
}

// PreprocessFile decodes the image file at path and preprocesses it. Errors
// name the file.
func (p Processor) PreprocessFile(path string) (CHW, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CHW{}, fmt.Errorf("preprocess %s: %w", path, err)
	}
	return p.PreprocessBytes(data, path)
}

// PreprocessBytes decodes an encoded image and preprocesses it; name is
// used in errors.
func (p Processor) PreprocessBytes(data []byte, name string) (CHW, error) {
	limit := p.MaxPixels
	if limit <= 0 {
		limit = DefaultMaxPixels
	}
	img, err := DecodeLimit(data, name, limit)
	if err != nil {
		return CHW{}, err
	}
	out, err := p.Preprocess(img)
	if err != nil {
		return CHW{}, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// toCHW rescales and normalises an 8-bit image into CHW float32. Each
// channel has only 256 possible results, so they come from a table built
// with transformers' exact arithmetic: float32(v * factor) in float64, then
// (x - mean) / std in float32.
func (p Processor) toCHW(m *RGB8) CHW {
	n := m.W * m.H
	out := CHW{C: 3, H: m.H, W: m.W, Data: make([]float32, 3*n)}
	for c, pl := range m.Planes() {
		var lut [256]float32
		mean, std := float32(p.Mean[c]), float32(p.Std[c])
		for v := range lut {
			x := float32(float64(v) * p.RescaleFactor)
			if p.Normalize {
				x = float32(x-mean) / std
			}
			lut[v] = x
		}
		dst := out.Data[c*n : (c+1)*n]
		src := pl[:len(dst)]
		for i, v := range src {
			dst[i] = lut[v]
		}
	}
	return out
}

// CenterCrop cuts a w x h window from the middle of m as transformers'
// center_crop does: top = (H-h)//2 and left = (W-w)//2 (floor division).
// Where m is smaller than the crop it is first zero-padded to the crop size,
// with ceil((h-H)/2) rows on top and ceil((w-W)/2) columns on the left.
func CenterCrop(m *RGB8, w, h int) (*RGB8, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("center crop: %w", err)
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("center crop %dx%d: size must be positive", w, h)
	}
	newH, newW := max(h, m.H), max(w, m.W)
	topPad, leftPad := (newH-m.H+1)/2, (newW-m.W+1)/2
	top := floorDiv(m.H-h, 2) + topPad
	left := floorDiv(m.W-w, 2) + leftPad
	// The window in padded coordinates, clipped to the padded image.
	y0, y1 := max(0, top), min(newH, top+h)
	x0, x1 := max(0, left), min(newW, left+w)
	ow, oh := x1-x0, y1-y0
	crop := func(p []uint8) []uint8 {
		out := make([]uint8, ow*oh)
		for y := y0; y < y1; y++ {
			sy := y - topPad
			if sy < 0 || sy >= m.H {
				continue
			}
			for x := x0; x < x1; x++ {
				if sx := x - leftPad; sx >= 0 && sx < m.W {
					out[(y-y0)*ow+(x-x0)] = p[sy*m.W+sx]
				}
			}
		}
		return out
	}
	if m.IsGray() {
		return newGray(ow, oh, crop(m.R)), nil
	}
	return &RGB8{W: ow, H: oh, R: crop(m.R), G: crop(m.G), B: crop(m.B)}, nil
}

// floorDiv is Python's // for a positive divisor.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}
