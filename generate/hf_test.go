package generate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestApplyHF(t *testing.T) {
	var kv map[string]any
	js := `{"_from_model_config": true, "bos_token_id": 97, "eos_token_id": [3, 5], "pad_token_id": 0,
		"max_new_tokens": 12, "max_length": 20, "min_new_tokens": 2, "num_beams": 4, "length_penalty": 0.6,
		"early_stopping": "never", "repetition_penalty": 1.2, "no_repeat_ngram_size": 3, "do_sample": false,
		"temperature": 0.7, "num_return_sequences": 1, "decoder_start_token_id": null, "transformers_version": "4.45.2"}`
	if err := json.Unmarshal([]byte(js), &kv); err != nil {
		t.Fatal(err)
	}
	got, err := ApplyHF(DefaultOptions(), kv)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{BOS: 97, EOS: []int64{3, 5}, Pad: 0, MaxNewTokens: 12, MinNewTokens: 2, NumBeams: 4,
		LengthPenalty: 0.6, EarlyStopping: EarlyStoppingNever, RepetitionPenalty: 1.2, NoRepeatNGramSize: 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ApplyHF = %+v, want %+v", got, want)
	}
	for _, c := range []struct{ js, want string }{
		{`{"do_sample": true}`, "do_sample: sampling"},
		{`{"num_beams": 2.5}`, "num_beams: value 2.5 is not an integer"},
		{`{"early_stopping": "sometimes"}`, "early_stopping"},
		{`{"bad_words_ids": [[1]]}`, "bad_words_ids: not supported"},
		{`{"num_return_sequences": 2}`, "only 1"},
		{`{"num_beams": 0}`, "NumBeams 0"},
	} {
		var kv map[string]any
		if err := json.Unmarshal([]byte(c.js), &kv); err != nil {
			t.Fatal(err)
		}
		if _, err := ApplyHF(DefaultOptions(), kv); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.js, err, c.want)
		}
	}
}

func TestLoadHFConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "generation_config.json")
	if err := os.WriteFile(p, []byte(`{"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := LoadHFConfig(p, DefaultOptions())
	if err != nil || o.BOS != 1 || !reflect.DeepEqual(o.EOS, []int64{2}) || o.MaxLength != 20 {
		t.Fatalf("LoadHFConfig = %+v, %v", o, err)
	}
	if err := os.WriteFile(p, []byte(`{"bos_token_id": 1,`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHFConfig(p, DefaultOptions()); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("truncated file: error %v does not name the file", err)
	}
	if _, err := LoadHFConfig(filepath.Join(dir, "missing.json"), DefaultOptions()); err == nil {
		t.Fatal("missing file: no error")
	}
}

// FuzzApplyHF feeds arbitrary JSON to ApplyHF: it must never panic, and
// whatever it accepts must be valid options.
func FuzzApplyHF(f *testing.F) {
	f.Add([]byte(`{"num_beams": 3, "max_new_tokens": 10, "eos_token_id": [2, 3]}`))
	f.Add([]byte(`{"early_stopping": "never", "length_penalty": -1.5, "do_sample": false}`))
	f.Add([]byte(`{"max_length": 1e300, "min_length": -4}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var kv map[string]any
		if json.Unmarshal(data, &kv) != nil {
			return
		}
		o, err := ApplyHF(DefaultOptions(), kv)
		if err == nil {
			if verr := o.validate(); verr != nil {
				t.Fatalf("ApplyHF accepted invalid options: %v", verr)
			}
		}
	})
}
