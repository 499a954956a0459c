package ops_test

import (
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/kerneltest"
)

// TestGoKernels runs the conformance suites against the pure-Go kernels.
func TestGoKernels(t *testing.T) { kerneltest.TestKernels(t, ops.GoKernels()) }

// TestGoKernelsInstalled runs ops with the pure-Go kernels installed
// through the kernel table, the paths an accelerated table takes: results
// must not change.
func TestGoKernelsInstalled(t *testing.T) { kerneltest.TestCallers(t, ops.GoKernels()) }

// TestUseKernels checks the table round trip and that UseKernels rejects
// half a Winograd pair.
func TestUseKernels(t *testing.T) {
	prev := ops.InstalledKernels()
	defer ops.UseKernels(prev)
	g := ops.GoKernels()
	ops.UseKernels(ops.Kernels{Clip: g.Clip})
	if k := ops.InstalledKernels(); k.Clip == nil || k.Gemm != nil {
		t.Fatalf("InstalledKernels after UseKernels(Clip only) = %+v", k)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("UseKernels with Winograd4In alone did not panic")
		}
	}()
	ops.UseKernels(ops.Kernels{Winograd4In: g.Winograd4In})
}
