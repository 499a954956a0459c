package wasmtest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/runtime"
)

var update = flag.Bool("update", false, "rewrite the files in "+FixtureDir)

// TestFixtures checks that the committed JS fixtures are the models of
// Fixtures as this tree encodes them; -update rewrites them.
func TestFixtures(t *testing.T) {
	for name, build := range Fixtures {
		t.Run(name, func(t *testing.T) {
			m, err := build(DynamicSeed)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", filepath.FromSlash(FixtureDir), name)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./internal/wasmtest -run TestFixtures -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s/%s is not what this tree encodes: go test ./internal/wasmtest -run TestFixtures -update", FixtureDir, name)
			}
			back, err := runtime.Load(got)
			if err != nil {
				t.Fatal(err)
			}
			if s := back.Inputs[0]; s.ShapeString() != "[N 3 6 W]" {
				t.Fatalf("the fixture's input is %s", s.ShapeString())
			}
		})
	}
}
