package wasmtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// demoOnly are the packages only the demo module may link. (runtime/zoo was
// one until wasmnn.train learned to start from an architecture name: the
// shipped module's trainStart builds it.)
var demoOnly = []string{
	"github.com/wasmnn/wasmnn/internal/explore",
}

// wasmDeps lists the packages the browser module links, built with tags.
func wasmDeps(t *testing.T, tags string) map[string]bool {
	t.Helper()
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, "github.com/wasmnn/wasmnn/wasm")...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	return deps
}

// TestShippedModuleLinksNoDemoCode keeps the demo pages' helpers out of the
// npm package's wasmnn.wasm: they are in the demo build only.
func TestShippedModuleLinksNoDemoCode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	shipped, demo := wasmDeps(t, ""), wasmDeps(t, DemoTag)
	for _, p := range demoOnly {
		if shipped[p] {
			t.Errorf("wasmnn.wasm links %s; only the demo build (-tags %s) may", p, DemoTag)
		}
		if !demo[p] {
			t.Errorf("the demo build does not link %s: is wasm/demo.go still built with -tags %s?", p, DemoTag)
		}
	}
}
