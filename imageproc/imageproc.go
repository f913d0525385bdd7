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
// Images are kept as three 8-bit planes (type RGB8); a grayscale picture
// shares one plane among R, G and B, so that a chest X-ray costs a third of
// a colour image to resize.
//
// JPEG files are decoded by this package's own decoder (jpeg*.go), which
// reproduces libjpeg-turbo's default output (accurate integer IDCT, fancy
// chroma upsampling, its colour conversion) and so Pillow's, bit for bit
// (checked against djpeg on every ROCO chest X-ray in ../shared/data). It
// handles 8-bit Huffman baseline, extended and progressive files with one
// (gray), three (YCbCr, RGB) or four (CMYK, YCCK) components; the rest
// (arithmetic coding, 12-bit, lossless) is passed to Go's image/jpeg, which
// rejects it too, so such files are reported as unsupported.
// Lossy WebP is decoded by golang.org/x/image/webp (whose YUV planes equal
// libwebp's) and converted with libwebp's fancy upsampler and limited-range
// formula, matching libwebp's default RGB output (checked against dwebp),
// which is what Pillow's WebP plugin returns. Lossless formats (PNG, GIF,
// BMP, TIFF, lossless WebP) involve no rounding choices; the GIF and
// 16-bit conventions are described in convert.go and decode.go.
//
// One libjpeg behaviour is not reproduced: block smoothing of progressive
// files whose low-frequency coefficients are never fully refined (it never
// applies to complete files from normal encoders).
package imageproc

import "fmt"

// RGB8 is an 8-bit RGB image stored as three planes: the red value of the
// pixel at column x and row y is R[y*W+x], and likewise for G and B. A
// grayscale picture (decoded from a gray JPEG or PNG, say) shares one slice
// among the three planes, which lets every later step do a third of the
// work; treat the planes as read-only for that reason.
type RGB8 struct {
	W, H    int
	R, G, B []uint8
}

// NewRGB8 returns a black w x h image with three separate planes.
func NewRGB8(w, h int) *RGB8 {
	return &RGB8{W: w, H: h, R: make([]uint8, w*h), G: make([]uint8, w*h), B: make([]uint8, w*h)}
}

// newGray returns an RGB8 whose three planes are the one plane p.
func newGray(w, h int, p []uint8) *RGB8 {
	return &RGB8{W: w, H: h, R: p, G: p, B: p}
}

// At returns the red, green and blue values of the pixel at (x, y).
func (m *RGB8) At(x, y int) (r, g, b uint8) {
	i := y*m.W + x
	return m.R[i], m.G[i], m.B[i]
}

// Planes returns the R, G and B planes.
func (m *RGB8) Planes() [3][]uint8 { return [3][]uint8{m.R, m.G, m.B} }

// IsGray reports whether the three planes are one shared slice (so the image
// is gray by construction; an RGB image that happens to hold gray values
// with separate planes reports false).
func (m *RGB8) IsGray() bool {
	return len(m.R) > 0 && &m.R[0] == &m.G[0] && &m.R[0] == &m.B[0]
}

// validate reports whether the image's dimensions and planes agree.
func (m *RGB8) validate() error {
	if m == nil {
		return fmt.Errorf("nil image")
	}
	if m.W <= 0 || m.H <= 0 {
		return fmt.Errorf("empty image %dx%d", m.W, m.H)
	}
	n := m.W * m.H
	if len(m.R) != n || len(m.G) != n || len(m.B) != n {
		return fmt.Errorf("image %dx%d has planes of %d, %d, %d bytes, want %d each", m.W, m.H, len(m.R), len(m.G), len(m.B), n)
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
