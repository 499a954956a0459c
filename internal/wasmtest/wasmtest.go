// Package wasmtest gives tests the browser module, wasmnn.wasm: the file
// named by the WASMNN_WASM environment variable (make test sets it to
// js/dist/wasmnn.wasm), or, when it is unset, one built from the source tree
// with GOOS=js GOARCH=wasm, once per test process.
//
// DemoModule does the same for the demo pages' module, built with the demo
// build tag (wasm/demo.go): WASMNN_DEMO_WASM (make test sets it to
// demo/lib/dist/wasmnn-demo.wasm), or a build with -tags demo.
package wasmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// DemoTag is the build tag that adds the demo pages' methods to the module.
const DemoTag = "demo"

// build is one module: where it comes from and, once loaded, its bytes.
type build struct {
	env, name, tags string // tags: the -tags of the build
	once            sync.Once
	module          []byte
	err             error
}

var (
	shipped = &build{env: "WASMNN_WASM", name: "wasmnn.wasm"}
	demo    = &build{env: "WASMNN_DEMO_WASM", name: "wasmnn-demo.wasm", tags: DemoTag}
)

// Module returns the bytes of wasmnn.wasm, the module the npm package ships.
func Module() ([]byte, error) { return shipped.get() }

// DemoModule returns the bytes of wasmnn-demo.wasm, the module the demo
// pages load: wasmnn.wasm plus the methods of wasm/demo.go.
func DemoModule() ([]byte, error) { return demo.get() }

func (b *build) get() ([]byte, error) {
	b.once.Do(func() { b.module, b.err = b.load() })
	return b.module, b.err
}

func (b *build) load() ([]byte, error) {
	if path := os.Getenv(b.env); path != "" {
		m, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s (run make wasm demo-wasm, or unset %s): %w", b.name, b.env, err)
		}
		return m, nil
	}
	dir, err := os.MkdirTemp("", "wasmnn-wasmtest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, b.name)
	args := []string{"build", "-trimpath"}
	if b.tags != "" {
		args = append(args, "-tags", b.tags)
	}
	cmd := exec.Command("go", append(args, "-o", path, "github.com/wasmnn/wasmnn/wasm")...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %v\n%s", b.name, err, out)
	}
	return os.ReadFile(path)
}

// CacheDir is the wazero compilation cache shared by the tests, so that the
// module is compiled once per machine rather than once per test process.
func CacheDir() string { return filepath.Join(os.TempDir(), "wasmnn-equiv-cache") }
