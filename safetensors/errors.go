package safetensors

import (
	"errors"
	"fmt"
)

// Error categories. Every error the parser returns for a malformed file wraps
// exactly one of these, so callers can test with errors.Is; the message itself
// says what is wrong and names the tensor where there is one.
var (
	// ErrHeaderLength: the file is too short for the 8-byte length prefix,
	// or the header length runs past the end of the file or over the limit.
	ErrHeaderLength = errors.New("bad header length")
	// ErrJSON: the header is not valid UTF-8 JSON of the expected layout.
	ErrJSON = errors.New("bad header JSON")
	// ErrDType: a tensor has a dtype the format does not define.
	ErrDType = errors.New("unknown dtype")
	// ErrDuplicate: a tensor name (or a metadata key, or a field) appears twice.
	ErrDuplicate = errors.New("duplicate name")
	// ErrOffsets: data offsets are reversed, out of range, overlapping, or
	// leave bytes of the data section that belong to no tensor.
	ErrOffsets = errors.New("bad data offsets")
	// ErrSize: the bytes a tensor's data offsets span differ from what its
	// dtype and shape need.
	ErrSize = errors.New("data size does not match dtype and shape")
	// ErrNotFound: no tensor of that name.
	ErrNotFound = errors.New("tensor not found")
	// ErrIndex: a sharded checkpoint's index disagrees with its shards.
	ErrIndex = errors.New("bad checkpoint index")
)

// formatError is a message written for a person plus the category it belongs
// to; Unwrap exposes the category to errors.Is.
type formatError struct {
	kind error
	msg  string
}

func (e *formatError) Error() string { return e.msg }
func (e *formatError) Unwrap() error { return e.kind }

// errorf builds a formatError of the given category.
func errorf(kind error, format string, args ...any) error {
	return &formatError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
