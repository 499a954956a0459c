package simd

import (
	"fmt"
	"os"
	"testing"
)

func TestTmpVariants(t *testing.T) {
	if os.Getenv("SIMD_VARIANTS") == "" {
		t.Skip()
	}
	for _, v := range [][3]int{{3, 2, 4}, {2, 2, 4}, {4, 2, 4}, {3, 2, 2}, {3, 2, 1}, {2, 3, 4}, {1, 4, 4}, {2, 4, 4}, {4, 1, 4}} {
		os.WriteFile(fmt.Sprintf("/tmp/simdvar_%d_%d_%d.wasm", v[0], v[1], v[2]), buildWith(v[0], v[1], v[2]), 0o644)
	}
}
