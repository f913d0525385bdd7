package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header the reader accepts and the writer
// produces, in bytes: 100 MB, the limit of the reference implementation.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key for the free-form string map.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file: what its header entry says.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Offsets are the [begin, end) byte offsets of the tensor's data,
	// counted from the first byte after the header.
	Offsets [2]int
}

// Numel returns the number of elements (1 for a 0-d tensor).
func (t TensorInfo) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Size returns the number of data bytes, Offsets[1] - Offsets[0].
func (t TensorInfo) Size() int { return t.Offsets[1] - t.Offsets[0] }

// header is the parsed and validated content of a safetensors header.
type header struct {
	infos    map[string]TensorInfo
	names    []string // sorted
	metadata map[string]string
	dataAt   int // offset of the data section in the file: 8 + header length
}

// parseHeader parses and validates buf, a whole safetensors file. The rules
// follow the reference reader (huggingface/safetensors): an 8-byte
// little-endian header length N of at most MaxHeaderSize, N bytes of UTF-8
// JSON (an object whose members are "__metadata__", a string-to-string map,
// and one entry per tensor with "dtype", "shape" and "data_offsets"; other
// fields of an entry are ignored; white space may follow the object), then
// the data section. Sorted by offsets, the tensors must tile the data section
// exactly: the first begins at 0, each begins where the previous one ends, the
// last ends at the end of the file, so no two overlap and no byte is left
// over. Each tensor spans exactly the bytes its dtype and shape need. Stricter
// than the reference: a name (tensor, field or metadata key) that appears
// twice is an error, where the reference silently keeps one of them.
func parseHeader(buf []byte) (*header, error) {
	if len(buf) < 8 {
		return nil, errorf(ErrHeaderLength, "file is %d bytes, too short for the 8-byte header length", len(buf))
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if n > MaxHeaderSize {
		return nil, errorf(ErrHeaderLength, "header length %d is over the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(len(buf)-8) {
		return nil, errorf(ErrHeaderLength, "header length %d runs past the end of the file (%d bytes follow the length)", n, len(buf)-8)
	}
	raw := buf[8 : 8+n]
	if !utf8.Valid(raw) {
		return nil, errorf(ErrJSON, "header is not valid UTF-8")
	}
	h := &header{infos: map[string]TensorInfo{}, dataAt: 8 + int(n)}
	dup := func(key string) error {
		if key == metadataKey {
			return errorf(ErrDuplicate, "header: %q appears twice", key)
		}
		return errorf(ErrDuplicate, "header: tensor name %q appears twice", key)
	}
	err := eachMember(raw, "header", dup, func(key string, val json.RawMessage) error {
		if key == metadataKey {
			m, err := parseMetadata(val)
			h.metadata = m
			return err
		}
		info, err := parseEntry(key, val)
		if err != nil {
			return err
		}
		h.infos[key] = info
		h.names = append(h.names, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(h.names)
	if err := h.checkLayout(len(buf) - h.dataAt); err != nil {
		return nil, err
	}
	return h, nil
}

// checkLayout verifies that the tensors tile a data section of dataLen bytes.
func (h *header) checkLayout(dataLen int) error {
	order := make([]TensorInfo, 0, len(h.infos))
	for _, name := range h.names {
		order = append(order, h.infos[name])
	}
	slices.SortFunc(order, func(a, b TensorInfo) int {
		return cmp.Or(cmp.Compare(a.Offsets[0], b.Offsets[0]),
			cmp.Compare(a.Offsets[1], b.Offsets[1]), cmp.Compare(a.Name, b.Name))
	})
	end, prev := 0, ""
	for _, t := range order {
		b, e := t.Offsets[0], t.Offsets[1]
		switch {
		case e > dataLen:
			return errorf(ErrOffsets, "tensor %q: data_offsets [%d, %d] run past the end of the data section (%d bytes; is the file truncated?)", t.Name, b, e, dataLen)
		case b < end:
			return errorf(ErrOffsets, "tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", t.Name, b, e, prev, end)
		case b > end && prev == "":
			return errorf(ErrOffsets, "tensor %q: data_offsets [%d, %d] leave a gap: bytes [0, %d) of the data section belong to no tensor", t.Name, b, e, b)
		case b > end:
			return errorf(ErrOffsets, "tensor %q: data_offsets [%d, %d] leave a gap after tensor %q: bytes [%d, %d) belong to no tensor", t.Name, b, e, prev, end, b)
		}
		end, prev = e, t.Name
	}
	if end != dataLen {
		return errorf(ErrOffsets, "the tensors cover %d bytes of the %d-byte data section: the last %d bytes belong to no tensor", end, dataLen, dataLen-end)
	}
	return nil
}

// parseEntry parses one tensor's header entry and checks it on its own:
// known dtype, ordered offsets, and a span equal to dtype × shape.
func parseEntry(name string, val json.RawMessage) (TensorInfo, error) {
	t := TensorInfo{Name: name}
	var dtype string
	var dims, offs []uint64
	var haveDType, haveShape, haveOffs bool
	what := fmt.Sprintf("tensor %q", name)
	dup := func(key string) error { return errorf(ErrDuplicate, "%s: field %q appears twice", what, key) }
	err := eachMember(val, what, dup, func(key string, v json.RawMessage) error {
		var err error
		switch key {
		case "dtype":
			haveDType = true
			if first(v) != '"' || json.Unmarshal(v, &dtype) != nil {
				return errorf(ErrJSON, "%s: dtype must be a string, got %s", what, clip(v))
			}
		case "shape":
			haveShape = true
			dims, err = uintArray(v)
			if err != nil {
				return errorf(ErrJSON, "%s: shape must be an array of non-negative integers, got %s", what, clip(v))
			}
		case "data_offsets":
			haveOffs = true
			offs, err = uintArray(v)
			if err != nil || len(offs) != 2 {
				return errorf(ErrJSON, "%s: data_offsets must be an array of two non-negative integers, got %s", what, clip(v))
			}
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	for _, f := range []struct {
		have bool
		name string
	}{{haveDType, "dtype"}, {haveShape, "shape"}, {haveOffs, "data_offsets"}} {
		if !f.have {
			return t, errorf(ErrJSON, "%s: missing field %q", what, f.name)
		}
	}
	t.DType = DType(dtype)
	if !t.DType.Valid() {
		return t, errorf(ErrDType, "%s: unknown dtype %q (the format defines %s)", what, dtype, knownDTypes())
	}
	if offs[0] > offs[1] {
		return t, errorf(ErrOffsets, "%s: data_offsets [%d, %d] end before they begin", what, offs[0], offs[1])
	}
	if offs[1] > MaxFileSize {
		return t, errorf(ErrOffsets, "%s: data_offsets [%d, %d] are out of range", what, offs[0], offs[1])
	}
	size, err := t.DType.byteSize(dims)
	if err != nil {
		return t, errorf(ErrSize, "%s: %v", what, err)
	}
	t.Shape = make([]int, len(dims))
	for i, d := range dims {
		t.Shape[i] = int(d) // fits: byteSize bounds the element count
	}
	t.Offsets = [2]int{int(offs[0]), int(offs[1])}
	if span := t.Offsets[1] - t.Offsets[0]; span != size {
		return t, errorf(ErrSize, "%s: dtype %s × shape %v needs %d bytes but data_offsets [%d, %d] span %d", what, t.DType, t.Shape, size, offs[0], offs[1], span)
	}
	return t, nil
}

// MaxFileSize bounds the offsets the parser accepts (1 PiB), far above any
// real file, so that offset arithmetic can never overflow an int.
const MaxFileSize = 1 << 50

// parseMetadata parses the "__metadata__" member: null or a map of strings.
func parseMetadata(val json.RawMessage) (map[string]string, error) {
	if string(bytes.TrimSpace(val)) == "null" {
		return nil, nil
	}
	m := map[string]string{}
	dup := func(key string) error { return errorf(ErrDuplicate, "%s: key %q appears twice", metadataKey, key) }
	err := eachMember(val, metadataKey, dup, func(key string, v json.RawMessage) error {
		var s string
		if first(v) != '"' || json.Unmarshal(v, &s) != nil {
			return errorf(ErrJSON, "%s: value of %q must be a string, got %s", metadataKey, key, clip(v))
		}
		m[key] = s
		return nil
	})
	return m, err
}

// uintArray decodes a JSON array of non-negative integers.
func uintArray(v json.RawMessage) ([]uint64, error) {
	if first(v) != '[' {
		return nil, fmt.Errorf("not an array")
	}
	var out []uint64
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// eachMember walks the JSON object in raw and calls fn for each member in
// order. It fails, wrapping ErrJSON, on invalid JSON, on a value that is not an
// object and on anything but white space after the object; for a key that
// appears twice it returns dup(key). what names the object in messages.
func eachMember(raw []byte, what string, dup func(key string) error, fn func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return errorf(ErrJSON, "%s is not valid JSON: %s", what, describe(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errorf(ErrJSON, "%s is not a JSON object", what)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errorf(ErrJSON, "%s is not valid JSON: %s", what, describe(err))
		}
		key, _ := tok.(string) // inside an object, Token yields string keys
		if seen[key] {
			return dup(key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return errorf(ErrJSON, "%s is not valid JSON: value of %q: %s", what, key, describe(err))
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errorf(ErrJSON, "%s is not valid JSON: %s", what, describe(err))
	}
	off := int(dec.InputOffset())
	if rest := bytes.TrimLeft(raw[off:], " \t\r\n"); len(rest) > 0 {
		return errorf(ErrJSON, "%s: unexpected %s after the JSON object", what, clip(rest))
	}
	return nil
}

// describe words a JSON decoding error, with the byte offset of a syntax
// error (counted from the start of the object being read).
func describe(err error) string {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends in the middle"
	case errors.As(err, &se):
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

// clip quotes at most 40 bytes of b for an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q...", b[:40])
	}
	return fmt.Sprintf("%q", b)
}

// first returns the first non-space byte of a JSON value, or 0.
func first(v []byte) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	return v[0]
}
