package simd

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/kerneltest"
)

// twins returns the kernels' pure-Go twins as an ops kernel table.
func twins() ops.Kernels {
	return ops.Kernels{
		Gemm: func(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32) {
			flags := 0
			if load {
				flags = GemmFlagLoad
			}
			GemmRef(a, b, c, kc, m, n, ldc, flags, bias)
		},
		Winograd4In:  Wino4InRef,
		Winograd4Out: Wino4OutRef,
		PoolMax:      MaxPoolRef,
		Depthwise:    DepthwiseRef,
		Clip:         ClipRef,
		HardAct:      HardActRef,
		Binary: func(kind ops.BinaryKind, dst, a, b []float32, rows, n, ars, acs, brs, bcs int) {
			BinaryRef(int(kind), dst, a, b, rows, n, ars, acs, brs, bcs)
		},
		Sigmoid:   SigmoidRef,
		Softmax:   SoftmaxRef,
		PackB:     PackBRef,
		Gather:    GatherRef,
		GlobalAvg: GlobalAvgRef,
	}
}

// TestTwins runs the conformance suites against the pure-Go twins.
func TestTwins(t *testing.T) { kerneltest.TestKernels(t, twins()) }

// TestTwinsInOps runs ops with the twins installed.
func TestTwinsInOps(t *testing.T) { kerneltest.TestCallers(t, twins()) }

// TestSIMD runs the conformance suites against the generated kernels under
// wazero.
func TestSIMD(t *testing.T) { kerneltest.TestKernels(t, newKernels(t, Module()).table(t)) }

// TestSIMDInOps runs ops with the generated kernels, under wazero,
// installed.
func TestSIMDInOps(t *testing.T) { kerneltest.TestCallers(t, newKernels(t, Module()).table(t)) }

// table returns the kernel module's functions as an ops kernel table.
// Each call copies the memory its slices reach into the instance (see
// place), runs the kernel there and copies back the values it changed.
// Calls are serialized; successive calls place their operands at every
// 4-byte misalignment of a 16-byte boundary.
func (k *kernels) table(t *testing.T) ops.Kernels {
	var mu sync.Mutex
	calls := 0
	run := func(name string, slices [][]float32, args func(addr []uint32) []uint32) {
		mu.Lock()
		defer mu.Unlock()
		skew := uint32(4 * (calls % 4))
		calls++
		p, addr := k.place(t, skew, slices)
		k.call(t, name, args(addr)...)
		p.back(t, k)
	}
	u := func(v int) uint32 { return uint32(v) }
	b := func(v bool) uint32 {
		if v {
			return 1
		}
		return 0
	}
	bits := math.Float32bits
	return ops.Kernels{
		Gemm: func(a, bm, c []float32, kc, m, n, ldc int, load bool, bias []float32) {
			run("gemm", [][]float32{a, bm, c, bias}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], p[2], u(kc), u(m), u(n), u(ldc), b(load), p[3]}
			})
		},
		Winograd4In: func(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
			run("wino4_in", [][]float32{v, src[0], src[1], src[2], src[3]}, func(p []uint32) []uint32 {
				args := []uint32{p[0], u(n), u(stride)}
				for l := range 4 {
					args = append(args, p[1+l], u(row[l]), u(ch[l]))
				}
				return args
			})
		},
		Winograd4Out: func(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
			run("wino4_out", [][]float32{y, bias, dst[0], dst[1], dst[2], dst[3]}, func(p []uint32) []uint32 {
				args := []uint32{p[0], u(stride), u(ldy), u(n), p[1], b(clip), bits(lo), bits(hi)}
				for l := range 4 {
					args = append(args, p[2+l], u(row[l]), u(ch[l]))
				}
				return args
			})
		},
		PoolMax: func(dst, x []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int) {
			run("maxpool", [][]float32{dst, x}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], u(n), u(rows), u(dstRow), u(xRow), u(kh), u(kw), u(tapRow), u(sw), u(dw)}
			})
		},
		Depthwise: func(dst, x, w []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32) {
			run("depthwise", [][]float32{dst, x, w, bias}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], p[2], u(n), u(rows), u(dstRow), u(xRow), u(kh), u(kw), u(tapRow), u(sw), u(dw), p[3]}
			})
		},
		Clip: func(c []float32, rows, cols, ldc int, lo, hi float32) {
			run("clip", [][]float32{c}, func(p []uint32) []uint32 {
				return []uint32{p[0], u(rows), u(cols), u(ldc), bits(lo), bits(hi)}
			})
		},
		HardAct: func(c []float32, rows, cols, ldc int, alpha, beta float32, swish bool) {
			run("hardact", [][]float32{c}, func(p []uint32) []uint32 {
				return []uint32{p[0], u(rows), u(cols), u(ldc), bits(alpha), bits(beta), b(swish)}
			})
		},
		Binary: func(kind ops.BinaryKind, dst, a, bv []float32, rows, n, ars, acs, brs, bcs int) {
			run("binary", [][]float32{dst, a, bv}, func(p []uint32) []uint32 {
				return []uint32{u(int(kind)), p[0], p[1], p[2], u(rows), u(n), u(ars), u(acs), u(brs), u(bcs)}
			})
		},
		Sigmoid: func(c []float32, rows, cols, ldc int) {
			run("sigmoid", [][]float32{c}, func(p []uint32) []uint32 {
				return []uint32{p[0], u(rows), u(cols), u(ldc)}
			})
		},
		Softmax: func(dst, x []float32, rows, n int) {
			run("softmax", [][]float32{dst, x}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], u(rows), u(n)}
			})
		},
		PackB: func(dst, src []float32, rows, groups, srcRow, sw, step int) {
			run("packb", [][]float32{dst, src}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], u(rows), u(groups), u(srcRow), u(sw), u(step)}
			})
		},
		Gather: func(dst, src []float32, offs []int32) {
			o := make([]float32, len(offs))
			for j, v := range offs {
				o[j] = math.Float32frombits(uint32(v))
			}
			run("gather", [][]float32{dst, src, o}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], p[2], u(len(dst)), u(len(src))}
			})
		},
		GlobalAvg: func(dst, x []float32, planes, spatial int) {
			run("globalavg", [][]float32{dst, x}, func(p []uint32) []uint32 {
				return []uint32{p[0], p[1], u(planes), u(spatial)}
			})
		},
	}
}

// call calls the kernel name with args. Kernels may run on goroutines
// other than the test's, so a failed call is reported with t.Errorf.
func (k *kernels) call(t testing.TB, name string, args ...uint32) {
	st := make([]uint64, len(args))
	for i, a := range args {
		st[i] = uint64(a)
	}
	if _, err := k.mod.ExportedFunction(name).Call(context.Background(), st...); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// instGuard is the number of guard values placed before and after each
// span in the instance's memory, and guardBits their bits.
const (
	instGuard = 8
	guardBits = 0x7fa5a5a5
)

// span is a run of Go memory copied into the instance: from the start of
// the first slice it holds to the end of the capacity of the one that
// reaches furthest, so slices that share memory share it there too.
type span struct {
	lo, hi uintptr
	first  int       // the index of the slice that starts it
	go32   []float32 // the Go memory
	was    []float32 // its values when copied in
	addr   uint32    // its address in the instance
}

// placed is the spans of one call.
type placed struct{ spans []*span }

// place copies the Go memory of slices into the instance's memory from
// 1<<16 on (skew bytes past 16-byte boundaries), between guard values, and
// returns the spans and each slice's address (0 for nil).
func (k *kernels) place(t testing.TB, skew uint32, ss [][]float32) (*placed, []uint32) {
	type ref struct {
		i      int
		lo, hi uintptr
	}
	var refs []ref
	for i, s := range ss {
		if s == nil {
			continue
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		refs = append(refs, ref{i, lo, lo + 4*uintptr(cap(s))})
	}
	slices.SortFunc(refs, func(a, b ref) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	p := &placed{}
	addr := make([]uint32, len(ss))
	owner := make([]*span, len(ss))
	for _, r := range refs {
		if n := len(p.spans); n > 0 && r.lo < p.spans[n-1].hi {
			// Shares memory with the previous span (one allocation).
			sp := p.spans[n-1]
			sp.hi = max(sp.hi, r.hi)
			owner[r.i] = sp
			continue
		}
		sp := &span{lo: r.lo, hi: r.hi, first: r.i}
		p.spans = append(p.spans, sp)
		owner[r.i] = sp
	}
	next := uint32(1 << 16)
	for _, sp := range p.spans {
		n := int((sp.hi - sp.lo) / 4)
		sp.go32 = unsafe.Slice(unsafe.SliceData(ss[sp.first]), n)
		sp.was = slices.Clone(sp.go32)
		next = (next+15)&^15 + skew
		sp.addr = next + 4*instGuard
		next = sp.addr + 4*uint32(n+instGuard)
	}
	if need := uint64(next) + 64; need > uint64(k.mem.Size()) {
		if _, ok := k.mem.Grow(uint32((need - uint64(k.mem.Size()) + 65535) / 65536)); !ok {
			t.Errorf("cannot grow the instance's memory to %d bytes", need)
		}
	}
	for _, sp := range p.spans {
		k.writeGuards(sp)
		k.write(sp.addr, sp.go32)
	}
	for i, s := range ss {
		if s != nil {
			addr[i] = owner[i].addr + uint32(uintptr(unsafe.Pointer(unsafe.SliceData(s)))-owner[i].lo)
		}
	}
	return p, addr
}

func (k *kernels) writeGuards(sp *span) {
	n := uint32(len(sp.go32))
	for _, a := range []uint32{sp.addr - 4*instGuard, sp.addr + 4*n} {
		b, _ := k.mem.Read(a, 4*instGuard)
		for i := 0; i < instGuard; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], guardBits)
		}
	}
}

// back checks the guards of every span and copies the values the kernel
// changed back into Go memory (only those: other goroutines may own the
// rest of a span).
func (p *placed) back(t testing.TB, k *kernels) {
	for _, sp := range p.spans {
		n := uint32(len(sp.go32))
		for _, a := range []uint32{sp.addr - 4*instGuard, sp.addr + 4*n} {
			b, _ := k.mem.Read(a, 4*instGuard)
			for i := 0; i < instGuard; i++ {
				if v := binary.LittleEndian.Uint32(b[4*i:]); v != guardBits {
					t.Errorf("kernel wrote %#08x at %d bytes from a span of %d values at %d", v, int(a)+4*i-int(sp.addr), n, sp.addr)
				}
			}
		}
		now := make([]float32, n)
		k.read(sp.addr, now)
		for i, v := range now {
			if math.Float32bits(v) != math.Float32bits(sp.was[i]) {
				sp.go32[i] = v
			}
		}
	}
}
