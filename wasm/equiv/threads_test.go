package equiv

import (
	"context"
	"fmt"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// TestThreadsBitIdentical runs zoo models in guests whose SIMD kernels run on
// 2, 3 and 4 threads (a shared memory, one kernel instance per goroutine):
// outputs must equal the native build's bit for bit, and the large GEMM
// calls must really have been spread over several goroutines.
func TestThreadsBitIdentical(t *testing.T) {
	cases := []struct {
		model string
		algo  ops.ConvAlgo
	}{{"resnet18", ops.AlgoAuto}, {"resnet18", ops.AlgoIm2col}, {"googlenet", ops.AlgoAuto}, {"lenet5", ops.AlgoAuto}}
	for _, n := range []int{2, 3, 4} {
		t.Run(fmt.Sprint("threads=", n), func(t *testing.T) {
			h, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir), host.WithThreads(n))
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close(context.Background())
			if h.Threads() != n || !simdInUse(t, h) {
				t.Fatalf("Threads() = %d, SIMD in use %v; want %d, true", h.Threads(), simdInUse(t, h), n)
			}
			for i, tc := range cases {
				t.Run(tc.model+"/"+string(tc.algo), func(t *testing.T) {
					m, err := zoo.Build(tc.model, zoo.Config{Seed: uint64(7 + i), InputSize: reduced[tc.model]})
					if err != nil {
						t.Fatal(err)
					}
					_, before := h.SplitCalls()
					compareOn(t, h, m, tc.algo, n, uint64(i))
					if _, after := h.SplitCalls(); tc.model != "lenet5" && after == before {
						t.Fatal("no kernel call was spread over several threads")
					}
				})
			}
		})
	}
}
