package imageproc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the largest image (width times height) Decode accepts:
// 64 Mpixel, about 200 MB as RGB8. Larger images are refused before their
// pixels are allocated.
const DefaultMaxPixels = 1 << 26

// ErrTooLarge is wrapped by the error for an image over the pixel limit.
var ErrTooLarge = errors.New("image too large")

// ErrUnknownFormat is wrapped by the error for data that is none of the
// supported formats.
var ErrUnknownFormat = errors.New("unknown image format (want JPEG, PNG, GIF, BMP, TIFF or WebP)")

// DecodeFile reads and decodes the image file at path: EXIF orientation
// applied, converted to RGB as Pillow's convert("RGB") does. Errors name
// the file.
func DecodeFile(path string) (*RGB8, error) {
	return DecodeFileLimit(path, DefaultMaxPixels)
}

// DecodeFileLimit is DecodeFile with a limit on width times height.
func DecodeFileLimit(path string, maxPixels int) (*RGB8, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("decode image %s: %w", path, err)
	}
	return DecodeLimit(data, path, maxPixels)
}

// Decode decodes an encoded image held in memory; name (a file name or any
// label) is used in errors.
func Decode(data []byte, name string) (*RGB8, error) {
	return DecodeLimit(data, name, DefaultMaxPixels)
}

// DecodeLimit is Decode with a limit on width times height.
func DecodeLimit(data []byte, name string, maxPixels int) (*RGB8, error) {
	m, err := decode(data, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("decode image %s: %w", name, err)
	}
	return m, nil
}

// sniff returns the format of data from its first bytes.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case bytes.HasPrefix(data, []byte("BM")):
		return "bmp"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

type codec struct {
	config func(*bytes.Reader) (image.Config, error)
	decode func(*bytes.Reader) (image.Image, error)
}

func codecFor(format string) codec {
	switch format {
	case "jpeg":
		return codec{func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) },
			func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }}
	case "png":
		return codec{func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) },
			func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }}
	case "gif":
		return codec{func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) },
			func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }}
	case "bmp":
		return codec{func(r *bytes.Reader) (image.Config, error) { return bmp.DecodeConfig(r) },
			func(r *bytes.Reader) (image.Image, error) { return bmp.Decode(r) }}
	case "tiff":
		return codec{func(r *bytes.Reader) (image.Config, error) { return tiff.DecodeConfig(r) },
			func(r *bytes.Reader) (image.Image, error) { return tiff.Decode(r) }}
	default: // webp
		return codec{func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) },
			func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) }}
	}
}

// decode does the work of DecodeLimit; its errors do not yet name the input.
func decode(data []byte, maxPixels int) (m *RGB8, err error) {
	format := sniff(data)
	if format == "" {
		return nil, ErrUnknownFormat
	}
	c := codecFor(format)
	// Go's decoders are meant never to panic, but a panic on hostile input
	// must still become an error here.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s decoder failed: %v", format, r)
		}
	}()
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("corrupt or unsupported %s header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s image has no pixels (%dx%d)", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %s image is %dx%d, over the limit of %d pixels",
			ErrTooLarge, format, cfg.Width, cfg.Height, maxPixels)
	}
	if format == "jpeg" {
		// libjpeg-compatible decoding (jpeg.go); the variants it leaves out
		// (arithmetic coding, 12-bit, lossless) go to Go's decoder below.
		m, err := decodeJPEGLibjpeg(data, maxPixels)
		if err == nil {
			return Orient(m, exifOrientation(format, data)), nil
		}
		if !errors.Is(err, errJPEGUnsupported) {
			return nil, fmt.Errorf("corrupt or truncated jpeg data: %w", err)
		}
	}
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated %s data: %w", format, err)
	}
	if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %s image is %dx%d", ErrTooLarge, format, b.Dx(), b.Dy())
	}
	opt := convertOptions{ycc: ycbcrJPEG}
	switch format {
	case "png":
		// IHDR: bit depth at byte 24, colour type at byte 25.
		opt.gray16 = len(data) > 25 && data[24] == 16 && data[25] == 0
	case "webp":
		opt.ycc = ycbcrWebP
	case "gif":
		img = gifAsPillow(data, img, cfg)
	}
	rgb, err := toRGB(img, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	return Orient(rgb, exifOrientation(format, data)), nil
}

// gifAsPillow makes the first GIF frame look as Pillow opens it: the size of
// the logical screen, and the transparent palette entry with the colour the
// file stores for it (Go's decoder replaces it by transparent black, while
// Pillow's convert("RGB") uses the stored colour). Areas of the screen the
// frame does not cover take palette index 0 — an approximation of what
// Pillow does there.
func gifAsPillow(data []byte, img image.Image, cfg image.Config) image.Image {
	p, ok := img.(*image.Paletted)
	if !ok {
		return img
	}
	if table := gifColorTable(data); table != nil {
		pal := make(color.Palette, len(p.Palette))
		copy(pal, p.Palette)
		for i := range pal {
			if 3*i+2 < len(table) {
				pal[i] = color.RGBA{table[3*i], table[3*i+1], table[3*i+2], 0xff}
			}
		}
		p = &image.Paletted{Pix: p.Pix, Stride: p.Stride, Rect: p.Rect, Palette: pal}
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if p.Rect == screen {
		return p
	}
	canvas := image.NewPaletted(screen, p.Palette)
	for y := p.Rect.Min.Y; y < p.Rect.Max.Y; y++ {
		for x := p.Rect.Min.X; x < p.Rect.Max.X; x++ {
			if (image.Point{x, y}).In(screen) {
				canvas.SetColorIndex(x, y, p.ColorIndexAt(x, y))
			}
		}
	}
	return canvas
}

// gifColorTable returns the raw colour table (3 bytes per entry) used by the
// first image of a GIF file, or nil if it cannot be found.
func gifColorTable(data []byte) []byte {
	if len(data) < 13 {
		return nil
	}
	tableSize := func(flags byte) int { return 3 << (flags&7 + 1) }
	pos := 13
	var global []byte
	if f := data[10]; f&0x80 != 0 {
		n := tableSize(f)
		if pos+n > len(data) {
			return nil
		}
		global, pos = data[pos:pos+n], pos+n
	}
	for pos < len(data) {
		switch data[pos] {
		case 0x21: // extension: label, then data sub-blocks
			pos += 2
			for {
				if pos >= len(data) {
					return nil
				}
				n := int(data[pos])
				pos += 1 + n
				if n == 0 {
					break
				}
			}
		case 0x2C: // image descriptor
			if pos+10 > len(data) {
				return nil
			}
			f := data[pos+9]
			pos += 10
			if f&0x80 != 0 {
				n := tableSize(f)
				if pos+n > len(data) {
					return nil
				}
				return data[pos : pos+n]
			}
			return global
		default:
			return nil
		}
	}
	return nil
}
