// Package imageproc turns image files into the pixel tensors that GIT and BLIP
// expect, reproducing what Hugging Face's CLIPImageProcessor and
// BlipImageProcessor compute on top of Pillow 9.4.
//
// The pipeline has four steps, each in its own file:
//
//  1. decode.go, convert.go, exif.go: read a JPEG, PNG, GIF, BMP, TIFF or WebP
//     file, apply its EXIF orientation (as PIL.ImageOps.exif_transpose does)
//     and convert it to 8-bit RGB the way Pillow's Image.convert("RGB") does
//     (grayscale replicated, palette looked up, alpha dropped, CMYK with
//     Pillow's formula, 16-bit colour by its high byte, 16-bit gray clipped).
//  2. resample.go: resize with Pillow's BICUBIC filter, bit for bit: a
//     separable convolution whose support grows with the downscaling factor,
//     coefficients normalised and rounded to 22-bit fixed point, the
//     horizontal pass first and results clipped to 8 bits after each pass.
//  3. processor.go: the CLIP recipe used by GIT (shortest edge 224, centre
//     crop 224x224) or the BLIP recipe (384x384), then rescale by 1/255 in
//     float64, cast to float32, and normalise (x-mean)/std in float32.
//  4. The result is a plain []float32 in CHW order with its dimensions
//     (type CHW); this package does not depend on radcap/tensor.
//
// Known difference from Pillow: JPEG and lossy WebP are decoded by Go's own
// decoders (image/jpeg, golang.org/x/image/webp), not by libjpeg-turbo and
// libwebp. Their inverse DCTs and chroma upsampling differ, so decoded pixels
// may differ from Pillow's by a few 8-bit steps (lossless formats are exact).
package imageproc

import "fmt"

// RGB8 is an 8-bit RGB image with packed pixels: the pixel at column x and
// row y occupies Pix[3*(y*W+x) : 3*(y*W+x)+3] as red, green, blue.
type RGB8 struct {
	W, H int
	Pix  []uint8
}

// NewRGB8 returns a black w x h image.
func NewRGB8(w, h int) *RGB8 {
	return &RGB8{W: w, H: h, Pix: make([]uint8, 3*w*h)}
}

// At returns the red, green and blue values of the pixel at (x, y).
func (m *RGB8) At(x, y int) (r, g, b uint8) {
	i := 3 * (y*m.W + x)
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// validate reports whether the image's dimensions and buffer agree.
func (m *RGB8) validate() error {
	if m == nil {
		return fmt.Errorf("nil image")
	}
	if m.W <= 0 || m.H <= 0 {
		return fmt.Errorf("empty image %dx%d", m.W, m.H)
	}
	if len(m.Pix) != 3*m.W*m.H {
		return fmt.Errorf("image %dx%d has %d bytes, want %d", m.W, m.H, len(m.Pix), 3*m.W*m.H)
	}
	return nil
}

// CHW is a float32 image in channel-major order: the value of channel c at
// row y and column x is Data[(c*H+y)*W+x]. It is what a processor returns,
// ready to become one [C,H,W] slice of a pixel_values tensor.
type CHW struct {
	C, H, W int
	Data    []float32
}
