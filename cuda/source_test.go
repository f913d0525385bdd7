package cuda

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// definedKernels returns the extern "C" kernel names a source defines,
// expanding the NAME_##sfx pattern of the per-type macros.
func definedKernels(src string) map[string]bool {
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`extern "C" __global__ void(?:[\s\\]+__launch_bounds__\(\d+\))?[\s\\]+(\w+)\(`).FindAllStringSubmatch(src, -1) {
		if m[1] != "__launch_bounds__" { // a macro's name_##sfx, expanded below
			names[m[1]] = true
		}
	}
	// Per-type macros: #define X_KERNELS(T, sfx) ... name_##sfx( ... and X_KERNELS(type, suffix) uses.
	for _, def := range regexp.MustCompile(`(?s)#define (\w+_KERNELS)\(T, sfx\)(.*?)\n\n`).FindAllStringSubmatch(src, -1) {
		prefixes := regexp.MustCompile(`(\w+)_##sfx\(`).FindAllStringSubmatch(def[2], -1)
		for _, use := range regexp.MustCompile(`\n`+def[1]+`\(\w+, (\w+)\)`).FindAllStringSubmatch(src, -1) {
			for _, p := range prefixes {
				names[p[1]+"_"+use[1]] = true
			}
		}
	}
	return names
}

func TestKernelSourcesSelfContained(t *testing.T) {
	files, err := kernelFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("only %d embedded .cu files: %v", len(files), files)
	}
	for _, f := range append(files, "kernels/common.cuh") {
		b, err := kernelFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("#include")) {
			t.Errorf("%s includes a header; NVRTC has no toolkit headers", f)
		}
	}
	src, err := kernelSource("")
	if err != nil {
		t.Fatal(err)
	}
	defined := definedKernels(src)
	for _, n := range kernelNames {
		if !defined[n] {
			t.Errorf("kernel %s is resolved by Open but not defined in kernels/*.cu", n)
		}
	}
	if len(defined) != len(kernelNames) {
		t.Errorf("the sources define %d kernels, Open resolves %d", len(defined), len(kernelNames))
	}
}

func TestCubinCache(t *testing.T) {
	dir := t.TempDir()
	calls := 0
	compile := func(src string, arch int) ([]byte, error) {
		calls++
		return []byte(src + "|" + string(rune('0'+arch%10))), nil
	}
	b1, cached, err := loadOrCompile(dir, "src A", "nvrtc 12.4", 80, compile)
	if err != nil || cached || calls != 1 {
		t.Fatalf("first: %q cached %v err %v calls %d", b1, cached, err, calls)
	}
	b2, cached, err := loadOrCompile(dir, "src A", "nvrtc 12.4", 80, compile)
	if err != nil || !cached || calls != 1 || !bytes.Equal(b1, b2) {
		t.Fatalf("second: %q cached %v err %v calls %d", b2, cached, err, calls)
	}
	for i, c := range []struct {
		src, id string
		arch    int
	}{{"src B", "nvrtc 12.4", 80}, {"src A", "nvrtc 12.4", 90}, {"src A", "nvrtc 11.8", 80}} {
		if _, cached, err := loadOrCompile(dir, c.src, c.id, c.arch, compile); err != nil || cached || calls != 2+i {
			t.Fatalf("%+v: cached %v err %v calls %d (a changed key must recompile)", c, cached, err, calls)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
		if !regexp.MustCompile(`^[0-9a-f]{64}-sm_[0-9]+\.cubin$`).MatchString(e.Name()) {
			t.Errorf("unexpected file %s in the cache (leftover temporary?)", e.Name())
		}
	}
	if len(ents) != 4 {
		t.Fatalf("cache holds %v, want 4 entries", names)
	}
	if p := cubinPath(dir, "src A", "nvrtc 12.4", 90); !strings.HasSuffix(p, "-sm_90.cubin") {
		t.Fatalf("path %s", p)
	}
	// Compile errors pass through; nothing is cached.
	boom := errors.New("boom")
	if _, _, err := loadOrCompile(dir, "src C", "x", 80, func(string, int) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	// An unwritable cache still yields the CUBIN.
	ro := filepath.Join(dir, "file")
	if err := os.WriteFile(ro, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _, err := loadOrCompile(filepath.Join(ro, "sub"), "src A", "y", 80, compile); err != nil || len(b) == 0 {
		t.Fatalf("unwritable cache: %q %v", b, err)
	}
}
