package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Caption file formats (see scoreUsage for the user-facing description).
const (
	formatAuto   = "auto"   // by extension: .jsonl is JSONL, anything else lines
	formatLines  = "lines"  // one caption per line
	formatJSONL  = "jsonl"  // one JSON object per line
	formatBlocks = "blocks" // references only: blank-line separated blocks
)

// line is one physical line of a file with its 1-based number.
type line struct {
	num  int
	text string
}

// splitLines splits data into lines on "\n", dropping one "\r" before each
// "\n" and a UTF-8 byte order mark at the start. A final newline does not
// start another line. Invalid UTF-8 is an error naming the line.
func splitLines(name string, data []byte) ([]line, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(data) == 0 {
		return nil, nil
	}
	parts := strings.Split(string(data), "\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	lines := make([]line, len(parts))
	for i, p := range parts {
		p = strings.TrimSuffix(p, "\r")
		if !utf8.ValidString(p) {
			return nil, fmt.Errorf("%s:%d: invalid UTF-8", name, i+1)
		}
		lines[i] = line{i + 1, p}
	}
	return lines, nil
}

// resolveFormat turns "auto" into a concrete format from the file name.
func resolveFormat(name, format string) string {
	if format != formatAuto {
		return format
	}
	if strings.EqualFold(filepath.Ext(name), ".jsonl") {
		return formatJSONL
	}
	return formatLines
}

// isBlank reports whether a line holds only whitespace.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// parsePredictions reads a predictions file: in "lines" format every line
// is one caption (an empty line is an empty caption); in "jsonl" format
// every non-blank line is an object with a string field "prediction".
func parsePredictions(name string, data []byte, format string) ([]string, error) {
	lines, err := splitLines(name, data)
	if err != nil {
		return nil, err
	}
	switch resolveFormat(name, format) {
	case formatLines:
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = l.text
		}
		return out, nil
	case formatJSONL:
		var out []string
		for _, l := range lines {
			if isBlank(l.text) {
				continue
			}
			var rec struct {
				Prediction *string `json:"prediction"`
			}
			if err := decodeJSONLine(name, l, &rec); err != nil {
				return nil, err
			}
			if rec.Prediction == nil {
				return nil, fmt.Errorf("%s:%d: missing string field \"prediction\"", name, l.num)
			}
			out = append(out, *rec.Prediction)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: predictions format %q is not one of auto, lines, jsonl", name, format)
	}
}

// parseReferences reads a references file, returning one list of
// references per prediction:
//   - "lines": every line is the single reference of one prediction (an
//     empty line is an empty reference);
//   - "blocks": blocks separated by one or more blank lines, one block per
//     prediction, every line of a block one reference;
//   - "jsonl": every non-blank line is an object with "references" (a
//     non-empty array of strings) or "reference" (a string).
func parseReferences(name string, data []byte, format string) ([][]string, error) {
	lines, err := splitLines(name, data)
	if err != nil {
		return nil, err
	}
	switch resolveFormat(name, format) {
	case formatLines:
		out := make([][]string, len(lines))
		for i, l := range lines {
			out[i] = []string{l.text}
		}
		return out, nil
	case formatBlocks:
		var out [][]string
		var block []string
		for _, l := range lines {
			if isBlank(l.text) {
				if block != nil {
					out = append(out, block)
					block = nil
				}
				continue
			}
			block = append(block, l.text)
		}
		if block != nil {
			out = append(out, block)
		}
		return out, nil
	case formatJSONL:
		var out [][]string
		for _, l := range lines {
			if isBlank(l.text) {
				continue
			}
			var rec struct {
				References *[]string `json:"references"`
				Reference  *string   `json:"reference"`
			}
			if err := decodeJSONLine(name, l, &rec); err != nil {
				return nil, err
			}
			switch {
			case rec.References != nil && rec.Reference != nil:
				return nil, fmt.Errorf("%s:%d: both \"references\" and \"reference\" given", name, l.num)
			case rec.References != nil:
				if len(*rec.References) == 0 {
					return nil, fmt.Errorf("%s:%d: \"references\" is empty", name, l.num)
				}
				out = append(out, *rec.References)
			case rec.Reference != nil:
				out = append(out, []string{*rec.Reference})
			default:
				return nil, fmt.Errorf("%s:%d: missing field \"references\" (array of strings) or \"reference\" (string)", name, l.num)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: references format %q is not one of auto, lines, blocks, jsonl", name, format)
	}
}

// decodeJSONLine decodes one JSONL line into v, requiring a single JSON
// object, and names the file and line on failure.
func decodeJSONLine(name string, l line, v any) error {
	trimmed := strings.TrimSpace(l.text)
	if !strings.HasPrefix(trimmed, "{") {
		return fmt.Errorf("%s:%d: invalid JSON: expected an object, got %q", name, l.num, abbreviate(trimmed))
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s:%d: invalid JSON: %w", name, l.num, err)
	}
	if rest := strings.TrimSpace(trimmed[dec.InputOffset():]); rest != "" {
		return fmt.Errorf("%s:%d: invalid JSON: extra data after the object: %q", name, l.num, abbreviate(rest))
	}
	return nil
}

// abbreviate shortens s for an error message.
func abbreviate(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "..."
}
