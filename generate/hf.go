package generate

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// LoadHFConfig reads a Hugging Face generation_config.json and applies it
// to base (see ApplyHF).
func LoadHFConfig(path string, base Options) (Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("load generation config: %w", err)
	}
	var kv map[string]any
	if err := json.Unmarshal(data, &kv); err != nil {
		return base, fmt.Errorf("load generation config %s: %w", path, err)
	}
	o, err := ApplyHF(base, kv)
	if err != nil {
		return base, fmt.Errorf("load generation config %s: %w", path, err)
	}
	return o, nil
}

// hfIgnored are GenerationConfig keys that do not change greedy or beam
// search output here: bookkeeping, output switches, sampling-only knobs
// (do_sample must be false) and the cache switch (a Decoder always
// caches).
var hfIgnored = map[string]bool{
	"transformers_version": true, "use_cache": true, "return_dict_in_generate": true,
	"output_attentions": true, "output_hidden_states": true, "output_logits": true,
	"decoder_start_token_id": true, "temperature": true, "top_k": true, "top_p": true,
	"typical_p": true, "epsilon_cutoff": true, "eta_cutoff": true, "min_p": true,
	"num_beam_groups": true, "num_return_sequences": true, "remove_invalid_values": true,
}

// ApplyHF returns base with the settings of a transformers
// GenerationConfig (or generate() kwargs) applied, as decoded from JSON:
// max_new_tokens, max_length, min_new_tokens, min_length, num_beams,
// length_penalty, early_stopping (true, false or "never"),
// repetition_penalty, no_repeat_ngram_size, bos/eos/pad_token_id (eos as
// one id or a list) and output_scores. Null values and keys starting
// with "_" are skipped; do_sample must be false, num_beam_groups and
// num_return_sequences 1. Any other key is an error naming it, so that a
// setting this package does not implement is never silently dropped.
func ApplyHF(base Options, kv map[string]any) (Options, error) {
	o := base
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := kv[k]
		if v == nil || strings.HasPrefix(k, "_") {
			continue
		}
		if err := applyHFKey(&o, k, v); err != nil {
			return base, fmt.Errorf("generation setting %s: %w", k, err)
		}
	}
	if o.MaxNewTokens > 0 {
		o.MaxLength = 0 // max_new_tokens wins in transformers
	}
	return o, o.validate()
}

func applyHFKey(o *Options, k string, v any) error {
	var err error
	switch k {
	case "max_new_tokens":
		o.MaxNewTokens, err = hfInt(v)
	case "max_length":
		o.MaxLength, err = hfInt(v)
	case "min_new_tokens":
		o.MinNewTokens, err = hfInt(v)
	case "min_length":
		o.MinLength, err = hfInt(v)
	case "num_beams":
		o.NumBeams, err = hfInt(v)
	case "no_repeat_ngram_size":
		o.NoRepeatNGramSize, err = hfInt(v)
	case "length_penalty":
		o.LengthPenalty, err = hfFloat(v)
	case "repetition_penalty":
		o.RepetitionPenalty, err = hfFloat(v)
	case "early_stopping":
		switch v {
		case true:
			o.EarlyStopping = EarlyStoppingTrue
		case false:
			o.EarlyStopping = EarlyStoppingFalse
		case "never":
			o.EarlyStopping = EarlyStoppingNever
		default:
			err = fmt.Errorf("value %v is not true, false or \"never\"", v)
		}
	case "bos_token_id":
		var id int
		id, err = hfInt(v)
		o.BOS = int64(id)
	case "pad_token_id":
		var id int
		id, err = hfInt(v)
		o.Pad = int64(id)
	case "eos_token_id":
		o.EOS, err = hfIDs(v)
	case "output_scores":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("value %v is not a boolean", v)
		}
		o.OutputScores = b
	case "do_sample":
		if v != false {
			return fmt.Errorf("sampling (%v) is not supported; only greedy and beam search", v)
		}
	default:
		if !hfIgnored[k] {
			return fmt.Errorf("not supported by radcap's generate")
		}
		if k == "num_beam_groups" || k == "num_return_sequences" {
			if n, err := hfInt(v); err != nil || n != 1 {
				return fmt.Errorf("value %v: only 1 is supported", v)
			}
		}
	}
	return err
}

// hfInt converts a JSON number that must be an integer.
func hfInt(v any) (int, error) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, fmt.Errorf("value %v is not an integer", v)
	}
	return int(f), nil
}

// hfFloat converts a JSON number.
func hfFloat(v any) (float64, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("value %v is not a number", v)
	}
	return f, nil
}

// hfIDs converts one token id or a list of them.
func hfIDs(v any) ([]int64, error) {
	if list, ok := v.([]any); ok {
		out := make([]int64, 0, len(list))
		for _, x := range list {
			id, err := hfInt(x)
			if err != nil {
				return nil, err
			}
			out = append(out, int64(id))
		}
		return out, nil
	}
	id, err := hfInt(v)
	if err != nil {
		return nil, err
	}
	return []int64{int64(id)}, nil
}
