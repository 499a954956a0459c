package simd

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
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

func (k *kernels) call(t testing.TB, name string, args ...uint32) {
	t.Helper()
	st := make([]uint64, len(args))
	for i, a := range args {
		st[i] = uint64(a)
	}
	if _, err := k.mod.ExportedFunction(name).Call(context.Background(), st...); err != nil {
		t.Fatalf("%s: %v", name, err)
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

type gemmCase struct {
	m, n, kc, ldc int
	flags         int
	bias          bool
	skew          uint32 // byte misalignment of every operand
}

func gemmCases() []gemmCase {
	cases := []gemmCase{
		{m: 1, n: 4, kc: 1, ldc: 4},
		{m: 6, n: 8, kc: 2, ldc: 8},
		{m: 128, n: 128, kc: 256, ldc: 128, flags: GemmFlagLoad, bias: true},
		{m: 7, n: 12, kc: 5, ldc: 13, flags: GemmFlagLoad, bias: true, skew: 4},
		{m: 2, n: 4, kc: 0, ldc: 5, flags: 0, bias: true},
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 40; i++ {
		c := gemmCase{m: 1 + rng.IntN(25), n: 4 * (1 + rng.IntN(9)), kc: 1 + rng.IntN(40)}
		c.ldc = c.n + rng.IntN(5)
		c.flags = rng.IntN(2)
		c.bias = rng.IntN(2) == 1
		c.skew = uint32(4 * rng.IntN(4))
		cases = append(cases, c)
	}
	return cases
}

// TestGemmKernel runs the generated gemm on randomized shapes (odd rows,
// every remainder of the 6x8 tile, short and long K, padded C rows,
// operands at every 4-byte misalignment) and requires results bit-identical
// to GemmRef, C untouched outside the m×n block, and GemmRef within float32
// rounding of a float64 reference.
func TestGemmKernel(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range gemmCases() {
		name := fmt.Sprintf("m%d_n%d_k%d_ldc%d_f%d_bias%v_skew%d", tc.m, tc.n, tc.kc, tc.ldc, tc.flags, tc.bias, tc.skew)
		t.Run(name, func(t *testing.T) {
			panels := (tc.m + 1) / 2
			a := randSlice(rng, panels*2*tc.kc)
			b := randSlice(rng, tc.n*tc.kc)
			crows := tc.m + 1 // one guard row
			c := randSlice(rng, crows*tc.ldc)
			var bias []float32
			if tc.bias {
				bias = randSlice(rng, tc.m)
			}
			aAddr := 1<<16 + tc.skew
			bAddr := aAddr + uint32(4*len(a)) + 64 + tc.skew
			cAddr := bAddr + uint32(4*len(b)) + 64 + tc.skew
			biasAddr := uint32(0)
			k.write(aAddr, a)
			k.write(bAddr, b)
			k.write(cAddr, c)
			if bias != nil {
				biasAddr = cAddr + uint32(4*len(c)) + 64 + tc.skew
				k.write(biasAddr, bias)
			}
			k.call(t, "gemm", aAddr, bAddr, cAddr, uint32(tc.kc), uint32(tc.m), uint32(tc.n), uint32(tc.ldc), uint32(tc.flags), biasAddr)
			got := make([]float32, len(c))
			k.read(cAddr, got)
			want := append([]float32(nil), c...)
			GemmRef(a, b, want, tc.kc, tc.m, tc.n, tc.ldc, tc.flags, bias)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("C[%d][%d] = %v, GemmRef %v (C before %v)", i/tc.ldc, i%tc.ldc, got[i], want[i], c[i])
				}
			}
			// GemmRef against a float64 reference.
			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					s, mag := 0.0, 0.0
					if tc.flags&GemmFlagLoad != 0 {
						s, mag = float64(c[i*tc.ldc+j]), math.Abs(float64(c[i*tc.ldc+j]))
					}
					for kk := 0; kk < tc.kc; kk++ {
						p := float64(a[i/2*2*tc.kc+2*kk+i%2]) * float64(b[j/4*4*tc.kc+4*kk+j%4])
						s += p
						mag += math.Abs(p)
					}
					if bias != nil {
						s += float64(bias[i])
						mag += math.Abs(float64(bias[i]))
					}
					if d := math.Abs(float64(want[i*tc.ldc+j]) - s); d > 1e-6*float64(tc.kc+2)*mag+1e-30 {
						t.Fatalf("GemmRef C[%d][%d] = %v, float64 %v", i, j, want[i*tc.ldc+j], s)
					}
				}
			}
		})
	}
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
