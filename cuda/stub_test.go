//go:build !cgo

package cuda

import (
	"strings"
	"testing"
)

// Without cgo, Open fails with one line that says how to get CUDA.
func TestOpenWithoutCgo(t *testing.T) {
	d, err := Open(Options{})
	if err == nil || d != nil {
		t.Fatalf("Open without cgo: %v, %v", d, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "cuda: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, "CGO_ENABLED") {
		t.Fatalf("error %q", msg)
	}
}
