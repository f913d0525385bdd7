// Package atomicfile writes files so that a reader, or a crash, sees either
// the old file or the complete new one, never a part: the data goes to a
// temporary file in the destination folder, which is synced and then renamed
// over the destination. Every writer in radcap (checkpoints, safetensors,
// reports, generated data, kernel caches) goes through it.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically with permissions 0644.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// Write writes path atomically with the bytes fill produces; when fill or
// any step fails, path is left as it was and no temporary file remains.
func Write(path string, fill func(io.Writer) error) error {
	tmp, err := Temp(path, fill)
	if err != nil {
		return err
	}
	return Commit(tmp, path)
}

// Temp is the first half of Write: it writes and syncs a temporary file
// beside path and returns its name. Callers that must prepare several files
// before replacing any (a sharded checkpoint) call Temp for each, then
// Commit for each; on a failure they remove the temporaries with os.Remove.
func Temp(path string, fill func(io.Writer) error) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if err := fill(f); err != nil {
		return "", err
	}
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// Commit renames a temporary file made by Temp over path and syncs the
// folder so the rename itself is durable. On failure it removes tmp.
func Commit(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // best effort: not every platform can sync a folder
		d.Close()
	}
	return nil
}
