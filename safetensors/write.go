package safetensors

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

	"radcap/internal/atomicfile"
)

// Tensor is one tensor to write: its name, dtype, shape and raw data
// (little-endian, C order, exactly DType.ByteSize(Shape) bytes).
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Encode writes tensors and metadata to w in the safetensors format, laid out
// byte for byte as the reference writer (huggingface/safetensors) lays them
// out: tensors sorted by dtype, larger types first in the order of DTypes
// (reversed), then by name; the header JSON compact, "__metadata__" first
// (written only when metadata is not empty, its keys sorted), then the tensors
// in data order, padded with spaces to a multiple of 8 bytes so that every
// tensor's data is aligned to its element size. It fails, writing nothing, on
// a repeated or non-UTF-8 name, the name "__metadata__", an unknown
// dtype, data of the wrong length, and a header over MaxHeaderSize.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr, order, err := encodeHeader(tensors, metadata, MaxHeaderSize)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	bw.Write(n[:])
	bw.Write(hdr)
	for _, t := range order {
		bw.Write(t.Data)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	return nil
}

// Write stores tensors and metadata at path (see Encode for the layout and
// the checks). The write is atomic: the data goes to a temporary file in the
// same folder, which is synced and then renamed over path, so path holds
// either its old content or the complete new file, never a partial one.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	tmp, err := writeTemp(path, func(w io.Writer) error { return Encode(w, tensors, metadata) })
	if err != nil {
		return err
	}
	return commit(tmp, path)
}

// writeTemp writes a synced temporary file beside path with fill and
// returns its name (see atomicfile.Temp).
func writeTemp(path string, fill func(io.Writer) error) (string, error) {
	tmp, err := atomicfile.Temp(path, fill)
	if err != nil {
		return "", fmt.Errorf("safetensors: %w", err)
	}
	return tmp, nil
}

// commit renames tmp over path (see atomicfile.Commit).
func commit(tmp, path string) error {
	if err := atomicfile.Commit(tmp, path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// encodeHeader checks the tensors and builds the padded header JSON, at most
// limit bytes; it also returns the tensors in data order.
func encodeHeader(tensors []Tensor, metadata map[string]string, limit int) ([]byte, []Tensor, error) {
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		switch {
		case t.Name == metadataKey:
			return nil, nil, fmt.Errorf("safetensors: %q is reserved for metadata and cannot name a tensor", metadataKey)
		case !utf8.ValidString(t.Name):
			return nil, nil, fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", t.Name)
		case seen[t.Name]:
			return nil, nil, errorf(ErrDuplicate, "safetensors: tensor %q appears twice", t.Name)
		}
		seen[t.Name] = true
		size, err := t.DType.ByteSize(t.Shape)
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		if len(t.Data) != size {
			return nil, nil, errorf(ErrSize, "safetensors: tensor %q: dtype %s × shape %v needs %d bytes but has %d", t.Name, t.DType, t.Shape, size, len(t.Data))
		}
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("safetensors: metadata %q: %q is not valid UTF-8", k, v)
		}
	}
	order := slices.Clone(tensors)
	slices.SortFunc(order, func(a, b Tensor) int {
		ra, _, _ := a.DType.info()
		rb, _, _ := b.DType.info()
		return cmp.Or(cmp.Compare(rb, ra), cmp.Compare(a.Name, b.Name))
	})
	hdr := []byte{'{'}
	if len(metadata) > 0 {
		hdr = appendString(hdr, metadataKey)
		hdr = append(hdr, ":{"...)
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				hdr = append(hdr, ',')
			}
			hdr = appendString(hdr, k)
			hdr = append(hdr, ':')
			hdr = appendString(hdr, metadata[k])
		}
		hdr = append(hdr, '}')
		if len(order) > 0 {
			hdr = append(hdr, ',')
		}
	}
	offset := 0
	for i, t := range order {
		if i > 0 {
			hdr = append(hdr, ',')
		}
		hdr = appendString(hdr, t.Name)
		hdr = append(hdr, `:{"dtype":`...)
		hdr = appendString(hdr, string(t.DType))
		hdr = append(hdr, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				hdr = append(hdr, ',')
			}
			hdr = strconv.AppendInt(hdr, int64(d), 10)
		}
		hdr = append(hdr, `],"data_offsets":[`...)
		hdr = strconv.AppendInt(hdr, int64(offset), 10)
		hdr = append(hdr, ',')
		offset += len(t.Data)
		hdr = strconv.AppendInt(hdr, int64(offset), 10)
		hdr = append(hdr, "]}"...)
	}
	hdr = append(hdr, '}')
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	if len(hdr) > limit {
		return nil, nil, errorf(ErrHeaderLength, "safetensors: header would be %d bytes, over the limit of %d", len(hdr), limit)
	}
	return hdr, order, nil
}

// appendString appends s as a JSON string the way serde_json writes it: only
// the quote, the backslash and control characters are escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
