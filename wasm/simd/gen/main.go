// Command gen writes wasmnn's SIMD kernel module (simd.Build) to the files
// named by -o (repeatable); go generate in wasm/simd runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/wasmnn/wasmnn/wasm/simd"
)

type outputs []string

func (o *outputs) String() string     { return strings.Join(*o, ",") }
func (o *outputs) Set(s string) error { *o = append(*o, s); return nil }

func main() {
	var outs outputs
	flag.Var(&outs, "o", "output file (repeatable)")
	flag.Parse()
	if len(outs) == 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -o file.wasm [-o other.wasm]")
		os.Exit(2)
	}
	b := simd.Build()
	for _, o := range outs {
		if err := os.WriteFile(o, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("wrote %d bytes to %s\n", len(b), outs.String())
}
