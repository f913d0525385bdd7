// Package hffixtures locates the Hugging Face parity fixtures for tests:
// the folder named by the environment variable RADCAP_HF_FIXTURES when it
// is set (a folder laid out like shared/fixtures/hf: git/, blip/,
// blip_retrieval/, tokenizer/, train/, ...), else the package's own copy in
// testdata/hf. Tests call it so another fixture set is checked without code
// changes.
package hffixtures

import (
	"os"
	"path/filepath"
)

// EnvVar names the environment variable that overrides testdata/hf.
const EnvVar = "RADCAP_HF_FIXTURES"

// Path joins parts under the fixture root: $RADCAP_HF_FIXTURES when set,
// else testdata/hf (relative to the test's package folder).
func Path(parts ...string) string {
	root := os.Getenv(EnvVar)
	if root == "" {
		root = filepath.Join("testdata", "hf")
	}
	return filepath.Join(append([]string{root}, parts...)...)
}
