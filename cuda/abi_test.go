package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A kernel launch passes an array of pointers to its arguments; the driver
// copies as many bytes from each as the kernel's parameter has. An
// argument array that does not match the kernel's parameter list fails
// silently on a GPU, so it is checked here without one: for every kernel
// Open resolves, the launcher the Go code calls for it (found in the
// d.launch calls of ops*.go) must pass arguments whose sizes are, one by
// one, the sizes of the kernel's parameters in the PTX nvcc makes of the
// kernel bundle. Skips when nvcc is not installed.

// cTypeSize is the size of the launchers' argument types on the host.
var cTypeSize = map[string]int{"dptr": 8, "CUdeviceptr": 8, "int": 4, "float": 4, "long long": 8,
	"unsigned long long": 8, "rc_ew_layout": 328, "rc_red_layout": 280}

// ptxParams returns each .entry's parameter sizes in bytes.
func ptxParams(ptx string) map[string][]int {
	out := map[string][]int{}
	entry := regexp.MustCompile(`(?s)\.entry (\w+)\((.*?)\)`)
	param := regexp.MustCompile(`\.param (?:\.align \d+ )?\.(\w+) \w+(?:\[(\d+)\])?`)
	for _, m := range entry.FindAllStringSubmatch(ptx, -1) {
		var sizes []int
		for _, p := range param.FindAllStringSubmatch(m[2], -1) {
			switch {
			case p[2] != "":
				n, _ := strconv.Atoi(p[2])
				sizes = append(sizes, n)
			case strings.HasSuffix(p[1], "64"):
				sizes = append(sizes, 8)
			case strings.HasSuffix(p[1], "32"):
				sizes = append(sizes, 4)
			case strings.HasSuffix(p[1], "16"):
				sizes = append(sizes, 2)
			default:
				sizes = append(sizes, 1)
			}
		}
		out[m[1]] = sizes
	}
	return out
}

// structFields returns the member types of a typedef struct in C source.
func structFields(t *testing.T, src, name string) map[string]string {
	m := regexp.MustCompile(`typedef struct \{([^}]*)\} ` + name + `;`).FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("struct %s not found in launch.h", name)
	}
	fields := map[string]string{}
	for _, decl := range strings.Split(m[1], ";") {
		decl = strings.TrimSpace(decl)
		if decl == "" {
			continue
		}
		f := regexp.MustCompile(`^((?:unsigned )?(?:long long|int|float|dptr))\s+(.*)$`).FindStringSubmatch(decl)
		if f == nil {
			continue // arrays of the layout structs are not passed member-wise
		}
		for _, n := range strings.Split(f[2], ",") {
			fields[strings.TrimSpace(n)] = f[1]
		}
	}
	return fields
}

// launcherSizes returns each launcher's argument sizes in the order of its
// argument array.
func launcherSizes(t *testing.T, launchC, launchH string) map[string][]int {
	// Expand the argument-list macro of launch.c.
	macro := regexp.MustCompile(`(?s)#define RC_LAYOUT_ARGS\s*\\?(.*?)\n\n`).FindStringSubmatch(launchC)
	if macro == nil {
		t.Fatal("RC_LAYOUT_ARGS not found in launch.c")
	}
	layoutArgs := strings.ReplaceAll(macro[1], "\\", "")
	attnFields := structFields(t, launchH, "rc_attn_layout")
	out := map[string][]int{}
	fn := regexp.MustCompile(`(?s)CUresult (rc_launch_\w+)\(([^)]*)\)\s*\{(.*?)\n\}`)
	for _, m := range fn.FindAllStringSubmatch(launchC, -1) {
		types := map[string]string{}
		for _, p := range strings.Split(m[2], ",") {
			p = strings.Join(strings.Fields(p), " ")
			i := strings.LastIndex(p, " ")
			types[p[i+1:]] = p[:i]
		}
		arr := regexp.MustCompile(`void\* \w+\[\] = \{([^}]*)\};`).FindStringSubmatch(m[3])
		if arr == nil {
			t.Fatalf("%s: no argument array", m[1])
		}
		list := strings.ReplaceAll(arr[1], "RC_LAYOUT_ARGS", layoutArgs)
		var sizes []int
		for _, a := range strings.Split(list, ",") {
			a = strings.TrimPrefix(strings.TrimSpace(a), "&")
			typ := types[a]
			if strings.HasPrefix(a, "L.") {
				typ = attnFields[strings.TrimPrefix(a, "L.")]
			}
			size, ok := cTypeSize[typ]
			if !ok {
				t.Fatalf("%s: argument %q of unknown type %q", m[1], a, typ)
			}
			sizes = append(sizes, size)
		}
		out[m[1]] = sizes
	}
	return out
}

// launchUses maps kernel-name prefixes to the launcher the Go code calls.
func launchUses(t *testing.T) map[string]string {
	uses := map[string]string{
		"ew_copy_b":   "rc_launch_ew_copy",   // d.launch(k, ...) with k = "ew_copy_bN"
		"ew_gather_b": "rc_launch_ew_gather", // k = fmt.Sprintf("ew_gather_b%d", ...)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`(?s)d\.launch\("(\w+)"[^,]*, func\(f C\.CUfunction\) C\.CUresult \{\s*return C\.(rc_launch_\w+)\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			uses[m[1]] = m[2]
		}
	}
	return uses
}

func TestLaunchersMatchKernels(t *testing.T) {
	nvcc, err := exec.LookPath("nvcc")
	if err != nil {
		t.Skip("nvcc not installed (Debian non-free nvidia-cuda-toolkit); kernel parameter lists not checked")
	}
	src, err := kernelSource("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cu, ptx := filepath.Join(dir, "bundle.cu"), filepath.Join(dir, "bundle.ptx")
	if err := os.WriteFile(cu, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nvcc, "-arch=sm_80", "-ptx", "-o", ptx, cu).CombinedOutput(); err != nil {
		t.Fatalf("nvcc: %v\n%s", err, out)
	}
	ptxSrc, err := os.ReadFile(ptx)
	if err != nil {
		t.Fatal(err)
	}
	launchC, err := os.ReadFile("launch.c")
	if err != nil {
		t.Fatal(err)
	}
	launchH, err := os.ReadFile("launch.h")
	if err != nil {
		t.Fatal(err)
	}
	params := ptxParams(string(ptxSrc))
	launchers := launcherSizes(t, string(launchC), string(launchH))
	uses := launchUses(t)
	prefixes := make([]string, 0, len(uses))
	for p := range uses {
		prefixes = append(prefixes, p)
	}
	sort.Slice(prefixes, func(i, j int) bool { return len(prefixes[i]) > len(prefixes[j]) })
	checked := 0
	for _, k := range kernelNames {
		want, ok := params[k]
		if !ok {
			t.Errorf("kernel %s is not in the PTX", k)
			continue
		}
		launcher := ""
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				launcher = uses[p]
				break
			}
		}
		if launcher == "" {
			t.Errorf("kernel %s: no d.launch call in ops*.go names it", k)
			continue
		}
		got, ok := launchers[launcher]
		if !ok {
			t.Errorf("kernel %s: launcher %s not found in launch.c", k, launcher)
			continue
		}
		if fmtInts(got) != fmtInts(want) {
			t.Errorf("kernel %s takes parameters of %v bytes, launcher %s passes %v", k, want, launcher, got)
		}
		checked++
	}
	if checked != len(kernelNames) {
		t.Errorf("checked %d of %d kernels", checked, len(kernelNames))
	}
}

// fmtInts formats a list of sizes as "[a b c]".
func fmtInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, " ") + "]"
}
