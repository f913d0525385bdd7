package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadF32 loads one 16 MiB F32 tensor of a file into an engine
// tensor: "mmap" with Open and File.Tensor, "reference" the plain way (read
// the whole file, decode the JSON header, convert element by element). Report
// the ratio of the two from one run.
func BenchmarkLoadF32(b *testing.B) {
	const n = 4 << 20
	data := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(i)))
	}
	path := filepath.Join(b.TempDir(), "big.safetensors")
	err := Write(path, []Tensor{
		{Name: "small", DType: F32, Shape: []int{4}, Data: make([]byte, 16)},
		{Name: "big", DType: F32, Shape: []int{n}, Data: data},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("mmap", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			f, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			t, err := f.Tensor("big")
			if err != nil || t.Numel() != n {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			buf, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			hn := binary.LittleEndian.Uint64(buf)
			var hdr map[string]json.RawMessage
			if err := json.Unmarshal(buf[8:8+hn], &hdr); err != nil {
				b.Fatal(err)
			}
			var info struct {
				DataOffsets [2]int `json:"data_offsets"`
			}
			json.Unmarshal(hdr["big"], &info)
			raw := buf[8+int(hn)+info.DataOffsets[0] : 8+int(hn)+info.DataOffsets[1]]
			out := make([]float32, len(raw)/4)
			for j := range out {
				out[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			}
		}
	})
}
