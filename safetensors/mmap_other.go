//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package safetensors

import (
	"errors"
	"os"
)

// mapFile always fails here, so Open reads the file into memory instead.
func mapFile(f *os.File, size int) ([]byte, func() error, error) {
	return nil, nil, errors.New("memory mapping is not supported on this platform")
}
