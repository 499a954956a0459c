// Package wasmtest gives tests the browser module, wasmnn.wasm: the file
// named by the WASMNN_WASM environment variable (make test sets it to
// js/dist/wasmnn.wasm), or, when it is unset, one built from the source tree
// with GOOS=js GOARCH=wasm, once per test process.
package wasmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

var (
	once   sync.Once
	module []byte
	err    error
)

// Module returns the bytes of wasmnn.wasm.
func Module() ([]byte, error) {
	once.Do(func() { module, err = load() })
	return module, err
}

func load() ([]byte, error) {
	if path := os.Getenv("WASMNN_WASM"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading the wasm module (run make wasm, or unset WASMNN_WASM): %w", err)
		}
		return b, nil
	}
	dir, err := os.MkdirTemp("", "wasmnn-wasmtest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "wasmnn.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-o", path, "github.com/wasmnn/wasmnn/wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building wasmnn.wasm: %v\n%s", err, out)
	}
	return os.ReadFile(path)
}

// CacheDir is the wazero compilation cache shared by the tests, so that the
// module is compiled once per machine rather than once per test process.
func CacheDir() string { return filepath.Join(os.TempDir(), "wasmnn-equiv-cache") }
