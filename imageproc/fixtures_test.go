package imageproc

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// processorsDir is the fixture folder of the processors: testdata's copy, or
// $RADCAP_HF_FIXTURES/processors when that variable is set.
func processorsDir(t testing.TB) string {
	if d := os.Getenv("RADCAP_HF_FIXTURES"); d != "" {
		t.Logf("reading processor fixtures from RADCAP_HF_FIXTURES=%s", d)
		return filepath.Join(d, "processors")
	}
	return filepath.Join("testdata", "processors")
}

// f32Tensor is one F32 tensor of a safetensors file.
type f32Tensor struct {
	shape []int
	data  []float32
}

// readExpected reads dir/expected.safetensors, or, when only a gzip copy
// is stored (as in testdata, to keep the repository small), that copy.
func readExpected(t testing.TB, dir string) map[string]f32Tensor {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "expected.safetensors"))
	if errors.Is(err, fs.ErrNotExist) {
		gz, gerr := os.ReadFile(filepath.Join(dir, "expected.safetensors.gz"))
		if gerr != nil {
			t.Fatalf("no expected.safetensors in %s: %v; %v", dir, err, gerr)
		}
		zr, zerr := gzip.NewReader(bytes.NewReader(gz))
		if zerr != nil {
			t.Fatalf("gunzip expected.safetensors.gz: %v", zerr)
		}
		var buf bytes.Buffer
		if _, zerr = buf.ReadFrom(zr); zerr != nil {
			t.Fatalf("gunzip expected.safetensors.gz: %v", zerr)
		}
		raw, err = buf.Bytes(), nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseSafetensorsF32(raw)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return m
}

// parseSafetensorsF32 is a minimal safetensors reader for the F32 tensors
// of a file: 8-byte little-endian header length, JSON header, data.
func parseSafetensorsF32(raw []byte) (map[string]f32Tensor, error) {
	if len(raw) < 8 {
		return nil, fmt.Errorf("safetensors: file too short")
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > uint64(len(raw)-8) {
		return nil, fmt.Errorf("safetensors: header length %d past end", n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		return nil, fmt.Errorf("safetensors header: %w", err)
	}
	body := raw[8+n:]
	out := map[string]f32Tensor{}
	for name, msg := range hdr {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			Dtype   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &info); err != nil {
			return nil, fmt.Errorf("safetensors tensor %s: %w", name, err)
		}
		if info.Dtype != "F32" {
			continue
		}
		a, b := info.Offsets[0], info.Offsets[1]
		if a < 0 || b < a || b > int64(len(body)) || (b-a)%4 != 0 {
			return nil, fmt.Errorf("safetensors tensor %s: bad offsets %v", name, info.Offsets)
		}
		d := make([]float32, (b-a)/4)
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[a+int64(4*i):]))
		}
		out[name] = f32Tensor{shape: info.Shape, data: d}
	}
	return out, nil
}

type fixtureImage struct {
	File   string `json:"file"`
	Mode   string `json:"mode"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Stem   string `json:"stem"`
}

func readImagesJSON(t testing.TB, dir string) []fixtureImage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "images.json"))
	if err != nil {
		t.Fatal(err)
	}
	var imgs []fixtureImage
	if err := json.Unmarshal(raw, &imgs); err != nil {
		t.Fatalf("images.json: %v", err)
	}
	if len(imgs) == 0 {
		t.Fatal("images.json lists no images")
	}
	return imgs
}

// TestProcessorsMatchTransformers checks the whole pipeline (PNG decode,
// convert to RGB, Pillow bicubic, crop, rescale, normalise) against the
// pixel_values transformers computed, to 1e-6 per value. It also recovers
// the expected 8-bit image (fixture README: u8 = round((v*std+mean)*255) in
// float64) and compares the resampler's output with it byte for byte, so
// that a failure says whether resizing or the float steps are at fault.
func TestProcessorsMatchTransformers(t *testing.T) {
	dir := processorsDir(t)
	want := readExpected(t, dir)
	procs := []struct {
		prefix string
		p      Processor
		size   int
	}{{"clip", GIT(), 224}, {"blip", BLIP(), 384}}
	checked := 0
	for _, im := range readImagesJSON(t, dir) {
		img, err := DecodeFile(filepath.Join(dir, im.File))
		if err != nil {
			t.Fatal(err)
		}
		if img.W != im.Width || img.H != im.Height {
			t.Fatalf("%s: decoded %dx%d, images.json says %dx%d", im.File, img.W, img.H, im.Width, im.Height)
		}
		for _, pr := range procs {
			name := pr.prefix + "." + im.Stem + ".pixel_values"
			t.Run(name, func(t *testing.T) {
				exp, ok := want[name]
				if !ok {
					t.Fatalf("expected.safetensors has no %s", name)
				}
				if fmt.Sprint(exp.shape) != fmt.Sprint([]int{1, 3, pr.size, pr.size}) {
					t.Fatalf("%s has shape %v", name, exp.shape)
				}
				got, err := pr.p.Preprocess(img)
				if err != nil {
					t.Fatal(err)
				}
				if got.C != 3 || got.H != pr.size || got.W != pr.size || len(got.Data) != len(exp.data) {
					t.Fatalf("got %dx%dx%d (%d values), want 3x%dx%d", got.C, got.H, got.W, len(got.Data), pr.size, pr.size)
				}
				// 8-bit stage.
				r, err := pr.p.Resize(img)
				if err != nil {
					t.Fatal(err)
				}
				n := pr.size * pr.size
				bad8 := 0
				for c := 0; c < 3; c++ {
					for i := 0; i < n; i++ {
						v := float64(exp.data[c*n+i])*clipStd[c] + clipMean[c]
						u8 := math.RoundToEven(v * 255)
						if float64(r.Planes()[c][i]) != u8 {
							if bad8 < 5 {
								t.Errorf("8-bit pixel (x=%d,y=%d,c=%d): got %d, want %v", i%pr.size, i/pr.size, c, r.Planes()[c][i], u8)
							}
							bad8++
						}
					}
				}
				// Float stage.
				maxDiff, bad := 0.0, 0
				for i, w := range exp.data {
					d := math.Abs(float64(got.Data[i]) - float64(w))
					maxDiff = math.Max(maxDiff, d)
					if d > 1e-6 {
						bad++
					}
				}
				if bad8 > 0 || bad > 0 {
					t.Errorf("%d of %d 8-bit values differ; %d float values off by more than 1e-6 (max %g)", bad8, 3*n, bad, maxDiff)
				}
				t.Logf("max |diff| %g over %d values", maxDiff, len(exp.data))
				checked++
			})
		}
	}
	if checked == 0 {
		t.Fatal("no fixture was checked")
	}
}

// TestProcessorConfigs reads the processors' saved preprocessor_config.json
// and checks that FromConfig gives the same settings as GIT() and BLIP().
func TestProcessorConfigs(t *testing.T) {
	dir := processorsDir(t)
	for _, c := range []struct {
		sub  string
		want Processor
	}{{"clip_image_processor", GIT()}, {"blip_image_processor", BLIP()}} {
		got, err := FromConfig(filepath.Join(dir, c.sub, "preprocessor_config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: FromConfig = %+v, want %+v", c.sub, got, c.want)
		}
	}
}
