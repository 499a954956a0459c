package sharedmem

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/wasm/simd"
)

// jsShare runs the JS package's shareMemory (js/wasmnn.js, taken from the
// source as it is) on each of mods with node and returns the results.
const jsShare = `
const fs = require('fs');
const src = fs.readFileSync(process.argv[1], 'utf8');
const start = src.indexOf('function shareMemory(');
const end = src.indexOf('\n}\n', start);
if (start < 0 || end < 0) throw new Error('no shareMemory in ' + process.argv[1]);
const shareMemory = new Function(src.slice(start, end + 3) + '; return shareMemory;')();
for (const f of process.argv.slice(3)) fs.writeFileSync(f + '.js-shared', shareMemory(fs.readFileSync(f), Number(process.argv[2])));
`

// TestShareMatchesJS: the JS package's rewrite gives the same bytes as
// Share, for the kernel module, wasmnn.wasm (when built) and the small
// modules of TestShare.
func TestShareMatchesJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	mods := map[string][]byte{
		"kernels.wasm":  simd.Module(),
		"defined.wasm":  module([]byte{1, 1, 0x60, 0, 0}, []byte{5, 1, 0x00, 17}, []byte{7, 1, 3, 'm', 'e', 'm', 0x02, 0}),
		"imported.wasm": module([]byte{2, 1, 2, 'g', 'o', 3, 'm', 'e', 'm', 0x02, 0x01, 0, 3}),
	}
	if !testing.Short() {
		if b, err := wasmtest.Module(); err == nil {
			mods["wasmnn.wasm"] = b
		} else {
			t.Logf("wasmnn.wasm not checked: %v", err)
		}
	}
	args := []string{"-e", jsShare, filepath.Join("..", "..", "js", "wasmnn.js"), "32768"}
	for name, b := range mods {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	if out, err := exec.Command(node, args...).CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	for name, b := range mods {
		want, err := Share(b, MaxPages)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name+".js-shared"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the JS rewrite (%d bytes) differs from Share's (%d bytes)", name, len(got), len(want))
		}
	}
}
