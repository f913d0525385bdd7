package tokenizer

import (
	"bufio"
	"compress/gzip"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The expected values in testdata/unicode_cases.txt.gz were computed by
// Python's str and unicodedata (internal/unigen/unicases.py), the functions
// transformers' BertTokenizer calls.

// parseCPs turns "41 300" into "A\u0300" ("-" is the empty string).
func parseCPs(t *testing.T, s string) string {
	if s == "-" {
		return ""
	}
	var b strings.Builder
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 16, 32)
		if err != nil {
			t.Fatalf("bad code point %q", f)
		}
		b.WriteRune(rune(v))
	}
	return b.String()
}

func hexRunes(s string) string {
	var parts []string
	for _, r := range s {
		parts = append(parts, strconv.FormatInt(int64(r), 16))
	}
	return strings.Join(parts, " ")
}

func TestUnicodeAgainstPython(t *testing.T) {
	f, err := os.Open("testdata/unicode_cases.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	counts := map[string]int{}
	newer := 0 // code points Python's tables leave unassigned but Go's assign
	fails := 0
	fail := func(format string, args ...any) {
		fails++
		if fails <= 20 {
			t.Errorf(format, args...)
		}
	}
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		counts[fs[0]]++
		switch fs[0] {
		case "V":
			t.Logf("Python Unicode %s, tables %s, Go unicode %s", fs[1], unicodeDataVersion, unicode.Version)
		case "L":
			in, want := parseCPs(t, fs[1]), parseCPs(t, fs[2])
			if got := lowerString(in); got != want {
				fail("lower(%s) = %s, Python gives %s", fs[1], hexRunes(got), fs[2])
			}
		case "K":
			lo, _ := strconv.ParseUint(fs[1], 16, 32)
			hi, _ := strconv.ParseUint(fs[2], 16, 32)
			fl := fs[3]
			for cp := rune(lo); cp <= rune(hi); cp++ {
				if strings.Contains(fl, "u") && isAssigned(cp) {
					newer++
					continue
				}
				checks := []struct {
					flag byte
					got  bool
				}{
					{'c', isBertControl(cp)}, {'w', isBertWhitespace(cp)}, {'p', isBertPunctuation(cp)},
					{'m', unicode.Is(unicode.Mn, cp)}, {'s', isPySpace(cp)},
				}
				for _, c := range checks {
					if want := strings.IndexByte(fl, c.flag) >= 0; c.got != want {
						fail("U+%04X: flag %c: got %v, Python gives %v", cp, c.flag, c.got, want)
					}
				}
			}
		case "N":
			in := parseCPs(t, fs[1])
			if got := nfd(in); got != parseCPs(t, fs[2]) {
				fail("NFD(%s) = %s, Python gives %s", fs[1], hexRunes(got), fs[2])
			}
			if got := nfc(in); got != parseCPs(t, fs[3]) {
				fail("NFC(%s) = %s, Python gives %s", fs[1], hexRunes(got), fs[3])
			}
			if got := stripAccents(in); got != parseCPs(t, fs[4]) {
				fail("strip accents(%s) = %s, Python gives %s", fs[1], hexRunes(got), fs[4])
			}
		default:
			t.Fatalf("unknown line kind %q", fs[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if counts["L"] < 1000 || counts["K"] < 1000 || counts["N"] < 1000 {
		t.Fatalf("too few cases: %v", counts)
	}
	t.Logf("cases %v; %d code points skipped as assigned only in Go's newer Unicode", counts, newer)
	if fails > 0 {
		t.Errorf("%d mismatches", fails)
	}
}

func TestUnassignedIsControl(t *testing.T) {
	// U+0378 has been unassigned in every Unicode version; Python gives it
	// category Cn, so _is_control is true and clean-up drops it.
	for _, r := range []rune{0x378, 0xFFFF, 0x10FFFD - 2} {
		if !isBertControl(r) {
			t.Errorf("U+%04X: not treated as a control character", r)
		}
	}
}
