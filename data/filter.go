package data

import (
	"fmt"
	"regexp"
	"strings"
)

// Filter selects ROCO captions.
type Filter int

// The chest X-ray filters. Both look at the caption only, with its leading
// and trailing white space removed, and both ignore case.
const (
	// FilterNone keeps every caption.
	FilterNone Filter = iota
	// FilterSimple keeps captions that contain "chest x-ray" (ASCII
	// hyphen), case-insensitively: the rule behind the reference run's
	// ~1.7k / ~200 / ~200 split sizes (validation 222, test 199).
	FilterSimple
	// FilterRules is the broader documented rule of the ROCO notes:
	// an anatomy word AND an X-ray word AND no word of another modality
	// (validation 422, test 424). See IsChestXrayRules.
	FilterRules
)

// String returns the filter's command-line name.
func (f Filter) String() string {
	switch f {
	case FilterNone:
		return "none"
	case FilterSimple:
		return "simple"
	case FilterRules:
		return "rules"
	}
	return fmt.Sprintf("Filter(%d)", int(f))
}

// ParseFilter reads a filter name: "none" (or ""), "simple" or "rules".
func ParseFilter(s string) (Filter, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "all":
		return FilterNone, nil
	case "simple", "chest-x-ray", "chest x-ray":
		return FilterSimple, nil
	case "rules", "broad":
		return FilterRules, nil
	}
	return FilterNone, fmt.Errorf("unknown filter %q (want none, simple or rules)", s)
}

// Keep reports whether caption passes f.
func (f Filter) Keep(caption string) bool {
	switch f {
	case FilterSimple:
		return IsChestXraySimple(caption)
	case FilterRules:
		return IsChestXrayRules(caption)
	}
	return true
}

// IsChestXraySimple reports whether the lower-cased caption contains the
// substring "chest x-ray".
func IsChestXraySimple(caption string) bool {
	return strings.Contains(strings.ToLower(caption), "chest x-ray")
}

// The pieces of the rules filter, in Go RE2 syntax (\b and \w are ASCII).
const (
	// rxAnatomy: words naming the chest.
	rxAnatomy = `(?i)\b(?:chest|thorax|hemithorax|lungs?|pulmonary|pleura|pleural|mediastin\w*|pneumothora\w*|cardiothoracic|costophrenic)\b`
	// rxXrayCore: words naming projection radiography; the hyphen of
	// "x-ray" may be ASCII, U+2010 to U+2013, a space or absent.
	rxXrayCore = `(?:x[-\x{2010}-\x{2013} ]?rays?|radiograph\w*|cxrs?|roentgen\w*|r[öo]ntgen\w*|plain\s+films?|chest\s+films?)`
	// rxExcludeWords: other modalities, matched as whole words.
	rxExcludeWords = `(?i)\b(?:ct|cts|hrct|cect|mdct|ctpa|cta|pet|spect|mri|mr|mra|t1|t2|flair|echo|opg|v/q|cat\s+scan|bone\s+scan|perfusion\s+scan|barium|contrast\s+swallow|panoramic|periapical|dental|cephalometric|doppler|magnetic\s+resonance)\b`
	// rxExcludeStems: other modalities, matched anywhere.
	rxExcludeStems = `(?i)(?:comput\w*\s+tomograph|tomogra|ultraso|sonogra|echocardiogra|scintigra|angiogra|arteriogra|venogra|fluorosco|mammogra|esophagogra|bronchogra|myelogra|urogra|cholangiogra|hysterosalpingogra|orthopantomogra|tomosynthesis)`
)

// The compiled patterns are read-only after initialisation.
var (
	reAnatomy      = regexp.MustCompile(rxAnatomy)
	reXray         = regexp.MustCompile(`(?i)\b` + rxXrayCore + `\b`)
	reThoracicXray = regexp.MustCompile(`(?i)\bthoracic\s+` + rxXrayCore + `\b`)
	reExcludeWords = regexp.MustCompile(rxExcludeWords)
	reExcludeStems = regexp.MustCompile(rxExcludeStems)
)

// IsChestXrayRules is the broader chest X-ray rule documented in the ROCO
// notes (shared/data/roco/README.md):
//
//	(anatomy word, or "thoracic" directly followed by an X-ray word)
//	AND an X-ray word AND NOT a word of another modality
//
// with the word lists of the rx* constants above, all case-insensitive.
// A bare "thoracic" does not count as anatomy (it is usually the thoracic
// spine), and "CXR" counts as an X-ray word but not as anatomy. On ROCO's
// validation and test captions it selects 422 and 424 rows.
func IsChestXrayRules(caption string) bool {
	c := strings.TrimSpace(caption)
	if !reAnatomy.MatchString(c) && !reThoracicXray.MatchString(c) {
		return false
	}
	if !reXray.MatchString(c) {
		return false
	}
	return !reExcludeWords.MatchString(c) && !reExcludeStems.MatchString(c)
}
