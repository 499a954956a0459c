package ocr

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"testing"
)

// linesDigest reads some of the oracle's images and hashes every line's
// text, score bits and box.
func linesDigest(t *testing.T) string {
	r := reader(t)
	h := fnv.New64a()
	for _, c := range oracleCases(t) {
		if c.name == "page" || c.name == "mono" {
			continue // the others suffice, and keep the wasm run short
		}
		lines, err := r.Read(context.Background(), c.img)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			fmt.Fprintf(h, "%s|%x|%v;", l.Text, math.Float32bits(l.Score), l.Box)
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// TestDigestLines prints the digest of linesDigest; TestWasmSameAnswer runs
// it in the GOOS=js build too.
func TestDigestLines(t *testing.T) {
	t.Logf("ocr digest %s", linesDigest(t))
}

var digestRE = regexp.MustCompile(`ocr digest ([0-9a-f]{16})`)

// TestWasmSameAnswer runs the pipeline compiled with GOOS=js GOARCH=wasm
// (under Node, with Go's go_js_wasm_exec) and requires the same lines,
// scores and boxes, bit for bit, as the native build.
func TestWasmSameAnswer(t *testing.T) {
	if goruntime.GOOS == "js" {
		t.Skip("this is the wasm build")
	}
	if testing.Short() {
		t.Skip("-short: skipping the wasm build")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	native := linesDigest(t)
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("go is not on PATH")
	}
	execJS := filepath.Join(string(regexp.MustCompile(`\s+$`).ReplaceAll(goroot, nil)), "lib", "wasm", "go_js_wasm_exec")
	cmd := exec.Command("go", "test", "-count=1", "-exec="+execJS, "-run", "^TestDigestLines$", "-v", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the wasm build: %v\n%s", err, out)
	}
	m := digestRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in the wasm run's output:\n%s", out)
	}
	if string(m[1]) != native {
		t.Errorf("wasm digest %s, native %s", m[1], native)
	}
}
