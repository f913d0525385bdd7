package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File names of a model folder, as transformers names them.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// isShardName reports whether name has the form model-00001-of-00003.safetensors
// that WriteSharded (and transformers) give shards.
func isShardName(name string) bool {
	rest, ok := strings.CutPrefix(name, "model-")
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, ".safetensors")
	if !ok || len(rest) != 14 || rest[5:9] != "-of-" {
		return false
	}
	for _, c := range rest[:5] + rest[9:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Checkpoint is the weights of a model folder: one model.safetensors, or the
// shards that model.safetensors.index.json lists. It is read one tensor at a
// time, like File.
type Checkpoint struct {
	dir    string
	shards []*File           // in shard-name order
	owner  map[string]*File  // tensor name -> the shard holding it
	names  []string          // sorted
	index  map[string]string // the index's weight_map; nil for a single file
}

// OpenCheckpoint opens the weights in dir. Like transformers it prefers
// model.safetensors and otherwise reads model.safetensors.index.json, whose
// layout is {"metadata": {"total_size": ...}, "weight_map": {tensor: shard}}.
// It checks that each shard name is a plain file name in dir, that every
// tensor of the weight_map is in the shard it names, that every tensor of a
// shard is in the weight_map under that shard, and so that no tensor is in
// two shards.
func OpenCheckpoint(dir string) (*Checkpoint, error) {
	single := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(single); err == nil {
		f, err := Open(single)
		if err != nil {
			return nil, err
		}
		c := &Checkpoint{dir: dir, shards: []*File{f}, owner: map[string]*File{}, names: f.Names()}
		for _, n := range c.names {
			c.owner[n] = f
		}
		return c, nil
	}
	indexPath := filepath.Join(dir, IndexFileName)
	raw, err := os.ReadFile(indexPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %s has neither %s nor %s", dir, SingleFileName, IndexFileName)
	}
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	weightMap, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", indexPath, err)
	}
	c := &Checkpoint{dir: dir, owner: map[string]*File{}, index: weightMap}
	if err := c.openShards(indexPath); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// openShards opens every shard the index at indexPath names and cross-checks
// them.
func (c *Checkpoint) openShards(indexPath string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("safetensors: %s: %w", indexPath, errorf(ErrIndex, format, args...))
	}
	byShard := map[string][]string{}
	for name, shard := range c.index {
		byShard[shard] = append(byShard[shard], name)
	}
	for _, shard := range slices.Sorted(mapKeys(byShard)) {
		f, err := Open(filepath.Join(c.dir, shard))
		if err != nil {
			return err
		}
		c.shards = append(c.shards, f)
		for _, name := range f.Names() {
			listed, ok := c.index[name]
			switch {
			case !ok:
				return bad("tensor %q is in shard %s but not in the weight_map", name, shard)
			case listed != shard:
				return bad("tensor %q is in both %s and %s; the weight_map names %s", name, listed, shard, listed)
			}
			c.owner[name] = f
		}
		for _, name := range byShard[shard] {
			if _, ok := f.h.infos[name]; !ok {
				return bad("the weight_map puts tensor %q in %s, which has no such tensor", name, shard)
			}
		}
	}
	c.names = slices.Sorted(mapKeys(c.owner))
	return nil
}

// parseIndex reads an index file's weight_map and checks its shard names.
func parseIndex(raw []byte) (map[string]string, error) {
	var weightMap map[string]string
	dupIndex := func(key string) error { return errorf(ErrDuplicate, "index: key %q appears twice", key) }
	dupName := func(key string) error {
		return errorf(ErrDuplicate, "weight_map: tensor name %q appears twice", key)
	}
	err := eachMember(raw, "index", dupIndex, func(key string, val json.RawMessage) error {
		if key != "weight_map" {
			return nil // "metadata" and anything else: not needed to load
		}
		weightMap = map[string]string{}
		return eachMember(val, "weight_map", dupName, func(name string, v json.RawMessage) error {
			var shard string
			if first(v) != '"' || json.Unmarshal(v, &shard) != nil {
				return errorf(ErrJSON, "weight_map: shard of %q must be a string, got %s", name, clip(v))
			}
			if shard == "" || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) || strings.ContainsRune(shard, 0) {
				return errorf(ErrIndex, "weight_map: shard %q of tensor %q is not a plain file name", shard, name)
			}
			weightMap[name] = shard
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if weightMap == nil {
		return nil, errorf(ErrJSON, "index has no weight_map")
	}
	return weightMap, nil
}

// mapKeys returns the keys of m in unspecified order.
func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Dir returns the folder the checkpoint was opened from.
func (c *Checkpoint) Dir() string { return c.dir }

// Sharded reports whether the checkpoint came from an index file.
func (c *Checkpoint) Sharded() bool { return c.index != nil }

// Shards returns the paths of the files the weights were read from.
func (c *Checkpoint) Shards() []string {
	out := make([]string, len(c.shards))
	for i, f := range c.shards {
		out[i] = f.Path()
	}
	return out
}

// Names returns every tensor name, sorted.
func (c *Checkpoint) Names() []string { return slices.Clone(c.names) }

// Info returns the header entry of the named tensor.
func (c *Checkpoint) Info(name string) (TensorInfo, bool) {
	f, ok := c.owner[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// Bytes returns a read-only view of the named tensor's data (see File.Bytes).
func (c *Checkpoint) Bytes(name string) ([]byte, error) {
	f, ok := c.owner[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: %w", c.dir, errorf(ErrNotFound, "no tensor %q", name))
	}
	return f.Bytes(name)
}

// Close closes every shard.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.shards {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// WriteSharded saves tensors into dir as transformers' save_pretrained does.
// Tensors are assigned to shards in the order given, with the rule of
// huggingface_hub's split_state_dict_into_shards_factory: a tensor larger than
// maxShardBytes gets a shard of its own; otherwise a new shard starts when the
// tensor would push the current one over maxShardBytes. One shard is written
// as model.safetensors; several as model-00001-of-0000N.safetensors plus
// model.safetensors.index.json ({"metadata": {"total_size": bytes},
// "weight_map": {...}}, keys sorted, indented by 2). maxShardBytes <= 0 means
// no limit. Each file's metadata is metadata plus "format": "pt" when it has
// no "format" key, since transformers refuses a file without one. Every file
// is first written to a temporary name and synced; only when all are complete
// are they renamed into place, the index last; then files of an earlier save
// that the new one does not use (model.safetensors, the index, model-*-of-*
// shards) are removed. A failure before the renames leaves the folder as it
// was; each file is replaced atomically, though not the set as a whole.
func WriteSharded(dir string, tensors []Tensor, metadata map[string]string, maxShardBytes int64) error {
	seen := map[string]bool{}
	for _, t := range tensors {
		if seen[t.Name] {
			return errorf(ErrDuplicate, "safetensors: write %s: tensor %q appears twice", dir, t.Name)
		}
		seen[t.Name] = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	meta := map[string]string{"format": "pt"}
	for k, v := range metadata {
		meta[k] = v
	}
	groups := splitShards(tensors, maxShardBytes)
	var done []pending
	fail := func(err error) error {
		removeTemps(done)
		return err
	}
	weightMap := map[string]string{}
	total := int64(0)
	for i, g := range groups {
		name := SingleFileName
		if len(groups) > 1 {
			name = fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(groups))
		}
		for _, t := range g {
			weightMap[t.Name] = name
			total += int64(len(t.Data))
		}
		path := filepath.Join(dir, name)
		tmp, err := writeTemp(path, func(w io.Writer) error { return Encode(w, g, meta) })
		if err != nil {
			return fail(err)
		}
		done = append(done, pending{tmp, path})
	}
	if len(groups) > 1 {
		idx, err := indexJSON(total, weightMap)
		if err != nil {
			return fail(err)
		}
		path := filepath.Join(dir, IndexFileName)
		tmp, err := writeTemp(path, func(w io.Writer) error { _, err := w.Write(idx); return err })
		if err != nil {
			return fail(err)
		}
		done = append(done, pending{tmp, path})
	}
	keep := map[string]bool{}
	for i, p := range done {
		if err := commit(p.tmp, p.path); err != nil {
			removeTemps(done[i+1:])
			return err
		}
		keep[filepath.Base(p.path)] = true
	}
	return removeStale(dir, keep)
}

// pending is a complete temporary file and the path it is to be renamed to.
type pending struct{ tmp, path string }

// removeTemps deletes the temporary files of ps.
func removeTemps(ps []pending) {
	for _, p := range ps {
		os.Remove(p.tmp)
	}
}

// indexJSON renders the index file as transformers writes it.
func indexJSON(total int64, weightMap map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(map[string]any{
		"metadata":   map[string]int64{"total_size": total},
		"weight_map": weightMap,
	})
	return buf.Bytes(), err
}

// removeStale deletes the weight files of an earlier save that keep lacks.
func removeStale(dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("safetensors: clean %s: %w", dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		stale := n == SingleFileName || n == IndexFileName || isShardName(n)
		if stale && !keep[n] && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("safetensors: clean %s: %w", dir, err)
			}
		}
	}
	return nil
}

// splitShards groups tensors into shards (see WriteSharded for the rule).
func splitShards(tensors []Tensor, maxShardBytes int64) [][]Tensor {
	if maxShardBytes <= 0 || len(tensors) == 0 {
		return [][]Tensor{tensors}
	}
	var shards [][]Tensor
	var cur []Tensor
	size := int64(0)
	for _, t := range tensors {
		n := int64(len(t.Data))
		if n > maxShardBytes {
			shards = append(shards, []Tensor{t})
			continue
		}
		if size+n > maxShardBytes && len(cur) > 0 {
			shards = append(shards, cur)
			cur, size = nil, 0
		}
		cur = append(cur, t)
		size += n
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	return shards
}
