// Package safetensors reads and writes the safetensors format of Hugging Face
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON naming every tensor's dtype, shape and byte range,
// then the raw little-endian data in C order.
//
// Open maps a file into memory read-only and hands out one tensor at a time,
// either as a view of its bytes (File.Bytes) or copied into a *tensor.Tensor
// (File.Tensor). Write stores tensors atomically (a temporary file in the same
// folder, synced, then renamed over the target), in the same byte layout as
// the reference writer. OpenCheckpoint and WriteSharded handle a model folder:
// a single model.safetensors, or shards listed by model.safetensors.index.json
// as transformers writes them.
//
// The reader follows the reference implementation's rules: the header length
// is at most MaxHeaderSize and lies within the file; the header is UTF-8 JSON,
// an object of one entry per tensor ({"dtype", "shape", "data_offsets"}; other
// fields ignored) and an optional "__metadata__" string map, followed by
// nothing but white space; every dtype is one the format defines (DTypes);
// each tensor spans exactly the bytes its dtype and shape need; and the
// tensors, sorted by offset, tile the data section exactly: the first begins
// at 0, each begins where the previous one ends, the last ends at the end of
// the file, so none overlap and no byte is left over. Stricter than the
// reference, a name (tensor, field or metadata key) that appears twice is an
// error, where the reference silently keeps one. Every malformed file is an
// error that says what is wrong and names the file and, where there is one,
// the tensor; errors.Is tells its category (ErrHeaderLength, ErrJSON,
// ErrDType, ErrDuplicate, ErrOffsets, ErrSize).
package safetensors

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
)

// File is an open safetensors file. Its methods are safe for concurrent use
// until Close.
type File struct {
	path string
	buf  []byte // the whole file: a read-only mapping, or bytes read into memory
	h    *header
	// release frees buf (unmaps it); nil when buf is ordinary memory.
	release func() error
}

// Open opens and validates the safetensors file at path. The file is mapped
// into memory read-only where the platform allows it (Linux, macOS, the BSDs),
// and read into memory otherwise or when the mapping fails. Only the header is
// parsed up front; a tensor's pages are read when it is used. The file must
// not be rewritten in place or truncated while it is open (Write never does
// either: it replaces a file by renaming). Close it when done.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("safetensors: open %s: file is %d bytes, over the %d-byte limit", path, st.Size(), int64(MaxFileSize))
	}
	buf, release, err := mapFile(f, int(st.Size()))
	if err != nil {
		// The mapping failed (for example on a file system without mmap): read it.
		buf = make([]byte, st.Size())
		if _, err := io.ReadFull(f, buf); err != nil {
			return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
		}
		release = nil
	}
	h, err := parseHeader(buf)
	if err != nil {
		if release != nil {
			release()
		}
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return &File{path: path, buf: buf, h: h, release: release}, nil
}

// Parse validates buf, the bytes of a whole safetensors file, and returns a
// File whose tensors are views of buf (buf is not copied and must not change).
func Parse(buf []byte) (*File, error) {
	h, err := parseHeader(buf)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return &File{path: "(memory)", buf: buf, h: h}, nil
}

// Close releases the file's memory. Views returned by Bytes must not be used
// after Close: for a mapped file, touching them crashes the program.
func (f *File) Close() error {
	if f.buf == nil {
		return nil
	}
	f.buf = nil
	if f.release != nil {
		rel := f.release
		f.release = nil
		if err := rel(); err != nil {
			return fmt.Errorf("safetensors: close %s: %w", f.path, err)
		}
	}
	return nil
}

// Path returns the path the file was opened from ("(memory)" for Parse).
func (f *File) Path() string { return f.path }

// Names returns the tensor names, sorted.
func (f *File) Names() []string { return slices.Clone(f.h.names) }

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.h.names) }

// Info returns the header entry of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	t, ok := f.h.infos[name]
	t.Shape = slices.Clone(t.Shape)
	return t, ok
}

// Metadata returns a copy of the header's "__metadata__" map (nil when the
// header has none).
func (f *File) Metadata() map[string]string { return maps.Clone(f.h.metadata) }

// Bytes returns the named tensor's data: little-endian, C order, exactly
// Info(name).Size() bytes. It is a read-only view into the file, not a copy:
// never write to it, and do not use it after Close.
func (f *File) Bytes(name string) ([]byte, error) {
	t, ok := f.h.infos[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: %w", f.path, errorf(ErrNotFound, "no tensor %q", name))
	}
	if f.buf == nil {
		return nil, fmt.Errorf("safetensors: %s: tensor %q: file is closed", f.path, name)
	}
	b, e := f.h.dataAt+t.Offsets[0], f.h.dataAt+t.Offsets[1]
	return f.buf[b:e:e], nil
}
