package data

import (
	"image"
	"image/color"
	"image/png"
	"os"

	"radcap/imageproc"
)

// writeTestPNG writes m as an RGB PNG.
func writeTestPNG(path string, m *imageproc.RGB8) error {
	out := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			r, g, b := m.At(x, y)
			out.SetNRGBA(x, y, color.NRGBA{r, g, b, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, out); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
