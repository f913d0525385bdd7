package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"radcap/internal/atomicfile"
	"radcap/safetensors"
	"radcap/tensor"
)

// ConfigFileName is the name of a model folder's configuration.
const ConfigFileName = "config.json"

// LoadOptions controls LoadParams.
type LoadOptions struct {
	// AllowUnexpected accepts checkpoint tensors that no parameter names;
	// LoadParams then lists them in its result instead of failing.
	AllowUnexpected bool
	// Ignore, when set, reports checkpoint tensors to skip silently (as
	// transformers' _keys_to_ignore_on_load_unexpected, e.g. buffers such as
	// position_ids that older checkpoints stored).
	Ignore func(name string) bool
}

// LoadParams reads the weights of the model folder dir (model.safetensors,
// or the shards its index lists) into params. Every parameter must be
// present with its exact shape; a tensor of another float dtype (F16,
// BF16, F64) is converted to the parameter's dtype. It returns the names of
// unexpected tensors (only when opts.AllowUnexpected; otherwise they are
// an error). The error names every missing, unexpected or misshapen tensor;
// on error no parameter is changed.
func LoadParams(dir string, params []NamedParam, opts LoadOptions) (unexpected []string, err error) {
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("load weights from %s: %w", dir, err)
	}
	defer ck.Close()
	return LoadParamsFrom(ck, params, opts)
}

// LoadParamsFrom is LoadParams on an opened checkpoint.
func LoadParamsFrom(ck *safetensors.Checkpoint, params []NamedParam, opts LoadOptions) (unexpected []string, err error) {
	want := make(map[string]bool, len(params))
	for _, p := range params {
		want[p.Name] = true
	}
	var errs []error
	for _, name := range ck.Names() {
		if want[name] || (opts.Ignore != nil && opts.Ignore(name)) {
			continue
		}
		unexpected = append(unexpected, name)
		if !opts.AllowUnexpected {
			errs = append(errs, fmt.Errorf("unexpected tensor %q (the model has no such parameter)", name))
		}
	}
	values := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		info, ok := ck.Info(p.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("missing tensor %q", p.Name))
			continue
		}
		wantShape := p.Var.Value.Shape()
		if !slices.Equal(info.Shape, wantShape) {
			errs = append(errs, fmt.Errorf("tensor %q has shape %v, the model expects %v", p.Name, info.Shape, wantShape))
			continue
		}
		t, err := ck.Tensor(p.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("tensor %q: %w", p.Name, err))
			continue
		}
		if !t.DType().IsFloat() {
			errs = append(errs, fmt.Errorf("tensor %q has dtype %s, the model expects a float (%s)", p.Name, t.DType(), p.Var.Value.DType()))
			continue
		}
		if t.DType() != p.Var.Value.DType() {
			t = t.To(p.Var.Value.DType())
		}
		values[i] = t
	}
	if len(errs) > 0 {
		return unexpected, fmt.Errorf("load weights from %s: %w", ck.Dir(), errors.Join(errs...))
	}
	for i, p := range params {
		p.Var.Value = values[i]
		p.Var.ZeroGrad()
	}
	return unexpected, nil
}

// SaveParams writes params as the weights of the model folder dir
// (created if needed) in safetensors, named and ordered as given, then the
// JSON files in files (config.json and, say, generation_config.json),
// each replaced atomically. maxShardBytes > 0 splits the weights into
// shards with an index, as save_pretrained's max_shard_size does; 0 writes
// one model.safetensors. Files of an earlier save that the new layout does
// not use are removed.
func SaveParams(dir string, params []NamedParam, files map[string][]byte, maxShardBytes int64) error {
	names := make([]string, len(params))
	ts := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		names[i], ts[i] = p.Name, p.Var.Value
	}
	if err := safetensors.WriteTensorsSharded(dir, names, ts, map[string]string{"format": "pt"}, maxShardBytes); err != nil {
		return fmt.Errorf("save weights to %s: %w", dir, err)
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := WriteFileAtomic(filepath.Join(dir, k), files[k]); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder that is synced and then renamed over path, so a reader sees the
// old file or the new one, never a part.
func WriteFileAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// MergeJSON marshals known (a config struct) and lays its keys over extra
// (the keys of the file it was read from that the struct does not model,
// kept so a round trip loses nothing, as transformers keeps unknown config
// attributes). The result has sorted keys, indented by 2 spaces, with a
// final newline.
func MergeJSON(known any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(m)+len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for k, v := range m {
		out[k] = v
	}
	b, err = json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SplitJSON unmarshals the JSON object data into known (a pointer to a
// config struct whose current values are the defaults that absent keys
// keep) and returns the object's other keys — those known does not marshal
// — for MergeJSON to write back.
func SplitJSON(data []byte, known any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(data, known); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	b, err := json.Marshal(known)
	if err != nil {
		return nil, err
	}
	var k map[string]json.RawMessage
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, err
	}
	for key := range k {
		delete(m, key)
	}
	return m, nil
}
