package simd

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// memoryModule returns a module that exports a memory of the given pages as
// "mem", standing in for the Go module.
func memoryModule(pages uint32) []byte {
	var b []byte
	b = append(b, 0, 'a', 's', 'm', 1, 0, 0, 0)
	mem := append(uleb(1), 0x00)
	mem = append(mem, uleb(uint64(pages))...)
	b = append(b, 5)
	b = append(b, uleb(uint64(len(mem)))...)
	b = append(b, mem...)
	exp := append(uleb(1), name(ImportMemory)...)
	exp = append(exp, 0x02, 0x00)
	b = append(b, 7)
	b = append(b, uleb(uint64(len(exp)))...)
	return append(b, exp...)
}

// kernels is the kernel module instantiated under wazero against a memory of
// its own.
type kernels struct {
	rt  wazero.Runtime
	mem api.Memory
	mod api.Module
}

func newKernels(t testing.TB, wasm []byte) *kernels {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { rt.Close(ctx) })
	mm, err := rt.InstantiateWithConfig(ctx, memoryModule(256), wazero.NewModuleConfig().WithName(ImportModule))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("kernels"))
	if err != nil {
		t.Fatalf("instantiating the kernel module: %v", err)
	}
	return &kernels{rt: rt, mem: mm.Memory(), mod: mod}
}

func (k *kernels) write(addr uint32, v []float32) {
	b, ok := k.mem.Read(addr, uint32(4*len(v)))
	if !ok {
		panic("write out of range")
	}
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
}

func (k *kernels) read(addr uint32, v []float32) {
	b, ok := k.mem.Read(addr, uint32(4*len(v)))
	if !ok {
		panic("read out of range")
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func TestCommittedModule(t *testing.T) {
	built := Build()
	files := []string{"wasmnn-simd.wasm", "../../js/dist/wasmnn-simd.wasm"}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if os.IsNotExist(err) && f != files[0] {
				t.Skip("not built")
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, built) {
				t.Fatalf("%s (%d bytes) differs from Build() (%d bytes): run go generate ./wasm/simd", f, len(b), len(built))
			}
		})
	}
	if !bytes.Equal(Module(), built) {
		t.Fatal("the embedded module differs from Build(): run go generate ./wasm/simd and rebuild")
	}
}

func TestModuleShape(t *testing.T) {
	wasm := Build()
	if len(wasm) >= 64<<10 {
		t.Fatalf("module is %d bytes, want under 64 KB", len(wasm))
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatalf("wazero rejects the module: %v", err)
	}
	imps := cm.ImportedMemories()
	if len(imps) != 1 {
		t.Fatalf("module imports %d memories, want 1", len(imps))
	}
	if mod, nm, _ := imps[0].Import(); mod != ImportModule || nm != ImportMemory {
		t.Fatalf("memory import %s.%s, want %s.%s", mod, nm, ImportModule, ImportMemory)
	}
	exps := cm.ExportedFunctions()
	if len(exps) != len(Kernels) {
		t.Fatalf("module exports %d functions, Kernels lists %d", len(exps), len(Kernels))
	}
	for _, k := range Kernels {
		t.Run(k.Name, func(t *testing.T) {
			f, ok := exps[k.Name]
			if !ok {
				t.Fatal("not exported")
			}
			if len(f.ParamTypes()) != k.Params || len(f.ResultTypes()) != 0 {
				t.Fatalf("signature %v -> %v, want %d i32 params", f.ParamTypes(), f.ResultTypes(), k.Params)
			}
			for _, p := range f.ParamTypes() {
				if p != api.ValueTypeI32 {
					t.Fatalf("parameter type %v, want i32", p)
				}
			}
		})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// BenchmarkGemmWazero times a 128x128x256 block under wazero's compiler.
func BenchmarkGemmWazero(b *testing.B) {
	k := newKernels(b, Module())
	const m, n, kc = 128, 128, 256
	rng := rand.New(rand.NewPCG(1, 1))
	k.write(1<<16, randSlice(rng, m*kc))
	k.write(1<<20, randSlice(rng, n*kc))
	f := k.mod.ExportedFunction("gemm")
	st := []uint64{1 << 16, 1 << 20, 1 << 22, kc, m, n, n, 0, 0}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.CallWithStack(ctx, st); err != nil {
			b.Fatal(err)
		}
		st = []uint64{1 << 16, 1 << 20, 1 << 22, kc, m, n, n, 0, 0}
	}
	b.ReportMetric(float64(2*m*n*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
