package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// u8 makes a U8 tensor of n bytes.
func u8(name string, n int) Tensor {
	return Tensor{Name: name, DType: U8, Shape: []int{n}, Data: bytes.Repeat([]byte{byte(len(name))}, n)}
}

// shardNames lists, per shard file, the tensors in it.
func shardNames(t *testing.T, dir string, files ...string) [][]string {
	t.Helper()
	var out [][]string
	for _, name := range files {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f.Names())
		f.Close()
	}
	return out
}

// The example of huggingface_hub's split_state_dict_into_shards_factory
// docstring: sizes [6, 6, 2, 6, 2, 2] with a limit of 10 give the shards
// [6], [6+2], [6+2+2].
func TestWriteShardedSplitsAsHuggingFace(t *testing.T) {
	dir := t.TempDir()
	ts := []Tensor{u8("a", 6), u8("bb", 6), u8("ccc", 2), u8("dddd", 6), u8("eeeee", 2), u8("ffffff", 2)}
	if err := WriteSharded(dir, ts, map[string]string{"note": "x"}, 10); err != nil {
		t.Fatal(err)
	}
	files := []string{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"}
	onlyFiles(t, dir, append(files, IndexFileName)...)
	got := shardNames(t, dir, files...)
	want := [][]string{{"a"}, {"bb", "ccc"}, {"dddd", "eeeee", "ffffff"}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("shard %d holds %v, want %v", i+1, got[i], want[i])
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err != nil {
		t.Fatal(err)
	}
	wantIdx := `{
  "metadata": {
    "total_size": 24
  },
  "weight_map": {
    "a": "model-00001-of-00003.safetensors",
    "bb": "model-00002-of-00003.safetensors",
    "ccc": "model-00002-of-00003.safetensors",
    "dddd": "model-00003-of-00003.safetensors",
    "eeeee": "model-00003-of-00003.safetensors",
    "ffffff": "model-00003-of-00003.safetensors"
  }
}
`
	if string(idx) != wantIdx {
		t.Errorf("index file:\n%s\nwant:\n%s", idx, wantIdx)
	}
	c, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Sharded() || len(c.Shards()) != 3 || !slices.Equal(c.Names(), []string{"a", "bb", "ccc", "dddd", "eeeee", "ffffff"}) {
		t.Errorf("checkpoint: sharded %v shards %v names %v", c.Sharded(), c.Shards(), c.Names())
	}
	for _, want := range ts {
		b, err := c.Bytes(want.Name)
		info, _ := c.Info(want.Name)
		if err != nil || !bytes.Equal(b, want.Data) || info.DType != U8 {
			t.Errorf("%s: %v %v %+v", want.Name, b, err, info)
		}
	}
	f, _ := Open(filepath.Join(dir, files[0]))
	if m := f.Metadata(); m["format"] != "pt" || m["note"] != "x" {
		t.Errorf("shard metadata %v, want format=pt and note=x", m)
	}
	f.Close()
	if _, err := c.Bytes("zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Bytes(zz): %v", err)
	}
}

// A tensor over the limit gets a shard of its own, placed when it is met,
// ahead of the shard still being filled (as huggingface_hub does).
func TestWriteShardedOversizeTensor(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSharded(dir, []Tensor{u8("small", 3), u8("huge", 20), u8("tail", 4)}, nil, 10); err != nil {
		t.Fatal(err)
	}
	got := shardNames(t, dir, "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
	if !slices.Equal(got[0], []string{"huge"}) || !slices.Equal(got[1], []string{"small", "tail"}) {
		t.Errorf("shards %v, want [[huge] [small tail]]", got)
	}
}

// Saving again replaces the weight files of the earlier save, whatever their
// layout, and leaves other files alone.
func TestWriteShardedRemovesStaleFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	ts := []Tensor{u8("a", 6), u8("b", 6), u8("c", 6)}
	if err := WriteSharded(dir, ts, nil, 6); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", IndexFileName)
	if err := WriteSharded(dir, ts, nil, 0); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "config.json", SingleFileName)
	if err := WriteSharded(dir, ts, nil, 12); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", IndexFileName)
	c, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Names()) != 3 || !c.Sharded() {
		t.Errorf("names %v sharded %v", c.Names(), c.Sharded())
	}
	c.Close()

	if err := WriteSharded(dir, []Tensor{u8("a", 1), u8("a", 1)}, nil, 1); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate names across shards: %v", err)
	}
	bad := []Tensor{u8("a", 1), {Name: "b", DType: F32, Shape: []int{2}, Data: []byte{1}}}
	if err := WriteSharded(dir, bad, nil, 1); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("bad tensor: %v", err)
	}
	onlyFiles(t, dir, "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", IndexFileName)
}

func TestOpenCheckpointRejectsBadIndex(t *testing.T) {
	type shard struct {
		file  string
		names []string
	}
	index := func(wm map[string]string) string {
		b, _ := json.Marshal(map[string]any{"metadata": map[string]int{"total_size": 1}, "weight_map": wm})
		return string(b)
	}
	two := []shard{{"s1.safetensors", []string{"a", "b"}}, {"s2.safetensors", []string{"c"}}}
	goodMap := map[string]string{"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"}
	cases := []struct {
		name   string
		shards []shard
		index  string // "" writes no index
		kind   error
		want   []string
	}{
		{"no weights at all", nil, "", nil, []string{"neither", SingleFileName, IndexFileName}},
		{"index not JSON", two, `{"weight_map": {`, ErrJSON, []string{IndexFileName, "not valid JSON"}},
		{"index without weight_map", two, `{"metadata": {}}`, ErrJSON, []string{"no weight_map"}},
		{"shard not a string", two, `{"weight_map": {"a": 1}}`, ErrJSON, []string{`"a"`, "must be a string"}},
		{"duplicate name in weight_map", two, `{"weight_map": {"a": "s1.safetensors", "a": "s2.safetensors"}}`, ErrDuplicate, []string{`tensor name "a" appears twice`}},
		{"shard path escapes the folder", two, index(map[string]string{"a": "../s1.safetensors"}), ErrIndex, []string{`"../s1.safetensors"`, `"a"`, "plain file name"}},
		{"shard file missing", two, index(map[string]string{"a": "s1.safetensors", "b": "s1.safetensors", "c": "s3.safetensors"}), os.ErrNotExist, []string{"s3.safetensors"}},
		{"name missing from its shard", two, index(map[string]string{"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors", "d": "s2.safetensors"}), ErrIndex, []string{`"d"`, "s2.safetensors", "no such tensor"}},
		{"shard tensor not in weight_map", two, index(map[string]string{"a": "s1.safetensors", "c": "s2.safetensors"}), ErrIndex, []string{`"b"`, "s1.safetensors", "not in the weight_map"}},
		{"name in two shards", []shard{{"s1.safetensors", []string{"a", "b"}}, {"s2.safetensors", []string{"b", "c"}}}, index(goodMap), ErrIndex, []string{`"b"`, "s1.safetensors", "s2.safetensors", "both"}},
		{"malformed shard", append(two, shard{"s3.safetensors", nil}), index(map[string]string{"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors", "x": "s3.safetensors"}), ErrHeaderLength, []string{"s3.safetensors", "too short"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, s := range c.shards {
				if s.names == nil {
					os.WriteFile(filepath.Join(dir, s.file), []byte("junk"), 0o644)
					continue
				}
				var ts []Tensor
				for _, n := range s.names {
					ts = append(ts, u8(n, 2))
				}
				if err := Write(filepath.Join(dir, s.file), ts, nil); err != nil {
					t.Fatal(err)
				}
			}
			if c.index != "" {
				os.WriteFile(filepath.Join(dir, IndexFileName), []byte(c.index), 0o644)
			}
			ck, err := OpenCheckpoint(dir)
			if err == nil {
				t.Fatalf("accepted: names %v", ck.Names())
			}
			t.Logf("%v", err)
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("error %q is not %v", err, c.kind)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The good layout of the table opens.
	dir := t.TempDir()
	Write(filepath.Join(dir, "s1.safetensors"), []Tensor{u8("a", 2), u8("b", 2)}, nil)
	Write(filepath.Join(dir, "s2.safetensors"), []Tensor{u8("c", 2)}, nil)
	os.WriteFile(filepath.Join(dir, IndexFileName), []byte(index(goodMap)), 0o644)
	ck, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ck.Names(), []string{"a", "b", "c"}) {
		t.Errorf("names %v", ck.Names())
	}
	ck.Close()
}

func TestIsShardName(t *testing.T) {
	for name, want := range map[string]bool{
		"model-00001-of-00003.safetensors": true, "model-12345-of-99999.safetensors": true,
		"model.safetensors": false, "model-1-of-3.safetensors": false, "model-0000a-of-00003.safetensors": false,
		"model-00001-of-00003.safetensors.tmp": false, "xmodel-00001-of-00003.safetensors": false,
	} {
		if isShardName(name) != want {
			t.Errorf("isShardName(%q) = %v", name, !want)
		}
	}
}
