package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The F(4,3) matrices, for the float64 references.
var (
	bt4 = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	at4 = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

func checkBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, Go twin %v", what, i, got[i], want[i])
		}
	}
}

// laneCase is a lane layout of the Winograd kernel tests: row and channel
// strides per tile (in floats).
type laneCase struct {
	n       int
	row, ch [4]int
}

// laneCases mix input-like strides, scratch-like ones, a zero-stride lane
// (one patch for every group) and odd ones.
var laneCases = []laneCase{
	{1, [4]int{6, 6, 6, 6}, [4]int{36, 36, 36, 36}},
	{3, [4]int{11, 6, 0, 7}, [4]int{99, 36, 0, 50}},
	{17, [4]int{56, 56, 56, 56}, [4]int{56 * 56, 56 * 56, 56 * 56, 56 * 56}},
	{64, [4]int{14, 6, 9, 6}, [4]int{196, 36, 61, 36}},
}

// laneSpan returns the floats lane l of c spans, from its first element.
func (c laneCase) laneSpan(l, rows, cols int) int {
	return (c.n-1)*c.ch[l] + (rows-1)*c.row[l] + cols
}

// TestWino4In runs wino4_in on random patches read through the lane
// strides and requires the output bit-identical to Wino4InRef (values past
// the end untouched), and Wino4InRef within rounding of Bᵀ x B in float64.
func TestWino4In(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range laneCases {
		stride := tc.n*4 + 4*(tc.n%3)
		t.Run(fmt.Sprintf("n%d_row%v_ch%v", tc.n, tc.row, tc.ch), func(t *testing.T) {
			var off [4]int
			total := 0
			for l := range off {
				off[l] = total + 1 // unaligned
				total = off[l] + tc.laneSpan(l, 6, 6)
			}
			mem := randSlice(rng, total)
			var src [4][]float32
			for l := range src {
				src[l] = mem[off[l] : off[l]+tc.laneSpan(l, 6, 6)]
			}
			vlen := 35*stride + tc.n*4
			v0 := randSlice(rng, vlen+stride) // guard values past the end
			memAddr, vAddr := uint32(1<<16+4), uint32(1<<22+8)
			k.write(memAddr, mem)
			k.write(vAddr, v0)
			args := []uint32{vAddr, uint32(tc.n), uint32(stride)}
			for l := 0; l < 4; l++ {
				args = append(args, memAddr+4*uint32(off[l]), uint32(tc.row[l]), uint32(tc.ch[l]))
			}
			k.call(t, "wino4_in", args...)
			got := make([]float32, len(v0))
			k.read(vAddr, got)
			want := append([]float32(nil), v0...)
			Wino4InRef(src, tc.row, tc.ch, want[:vlen], tc.n, stride)
			checkBits(t, "v", got, want)
			for g := 0; g < tc.n; g++ {
				for l := 0; l < 4; l++ {
					for i := 0; i < 6; i++ {
						for j := 0; j < 6; j++ {
							s, mag := 0.0, 0.0
							for r := 0; r < 6; r++ {
								for c := 0; c < 6; c++ {
									p := bt4[i][r] * float64(src[l][g*tc.ch[l]+r*tc.row[l]+c]) * bt4[j][c]
									s += p
									mag += math.Abs(p)
								}
							}
							if got := float64(want[(i*6+j)*stride+g*4+l]); math.Abs(got-s) > 1e-6*mag+1e-30 {
								t.Fatalf("group %d tile %d (%d,%d): %v, float64 %v", g, l, i, j, got, s)
							}
						}
					}
				}
			}
		})
	}
}

// TestWino4Out does the same for wino4_out, with and without bias and
// clip; each tile writes its own region of one buffer, and the values
// between the written ones must stay untouched.
func TestWino4Out(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(13, 14))
	type clipCase struct {
		on     bool
		lo, hi float32
	}
	clips := []clipCase{{}, {true, 0, float32(math.Inf(1))}, {true, -0.3, 0.4}}
	for ci, tc := range []laneCase{
		{1, [4]int{4, 4, 4, 4}, [4]int{16, 16, 16, 16}},
		{2, [4]int{13, 4, 20, 5}, [4]int{117, 16, 300, 64}},
		{13, [4]int{56, 56, 56, 56}, [4]int{56 * 56, 56 * 56, 56 * 56, 56 * 56}},
		{128, [4]int{4, 7, 4, 28}, [4]int{16, 28, 16, 784}},
	} {
		cl := clips[ci%len(clips)]
		bias := ci%2 == 1
		stride, ldy := tc.n*8+3, 8
		t.Run(fmt.Sprintf("n%d_row%v_ch%v_bias%v_clip%v", tc.n, tc.row, tc.ch, bias, cl.on), func(t *testing.T) {
			ylen := 35*stride + (tc.n-1)*ldy + 4
			y := randSlice(rng, ylen)
			var off [4]int
			total := 0
			for l := range off {
				off[l] = total + 3
				total = off[l] + tc.laneSpan(l, 4, 4)
			}
			total += 5
			mem0 := randSlice(rng, total)
			var bs []float32
			yAddr, memAddr, bAddr := uint32(1<<16+12), uint32(1<<22+4), uint32(0)
			k.write(yAddr, y)
			k.write(memAddr, mem0)
			if bias {
				bs = randSlice(rng, tc.n)
				bAddr = 1<<22 - 4096
				k.write(bAddr, bs)
			}
			flags := uint32(0)
			if cl.on {
				flags = 1
			}
			args := []uint32{yAddr, uint32(stride), uint32(ldy), uint32(tc.n), bAddr, flags, math.Float32bits(cl.lo), math.Float32bits(cl.hi)}
			for l := 0; l < 4; l++ {
				args = append(args, memAddr+4*uint32(off[l]), uint32(tc.row[l]), uint32(tc.ch[l]))
			}
			k.call(t, "wino4_out", args...)
			got := make([]float32, total)
			k.read(memAddr, got)
			want := append([]float32(nil), mem0...)
			var dst [4][]float32
			for l := range dst {
				dst[l] = want[off[l] : off[l]+tc.laneSpan(l, 4, 4)]
			}
			Wino4OutRef(y, stride, ldy, dst, tc.row, tc.ch, tc.n, bs, cl.on, cl.lo, cl.hi)
			checkBits(t, "dst", got, want)
			for g := 0; g < tc.n; g++ {
				for l := 0; l < 4; l++ {
					for i := 0; i < 4; i++ {
						for c := 0; c < 4; c++ {
							s, mag := 0.0, 0.0
							if bs != nil {
								s, mag = float64(bs[g]), math.Abs(float64(bs[g]))
							}
							for p := 0; p < 6; p++ {
								for q := 0; q < 6; q++ {
									v := at4[i][p] * float64(y[(p*6+q)*stride+g*ldy+l]) * at4[c][q]
									s += v
									mag += math.Abs(v)
								}
							}
							if cl.on {
								s = math.Min(math.Max(s, float64(cl.lo)), float64(cl.hi))
							}
							if got := float64(dst[l][g*tc.ch[l]+i*tc.row[l]+c]); math.Abs(got-s) > 1e-6*mag+1e-30 {
								t.Fatalf("group %d tile %d (%d,%d): %v, float64 %v", g, l, i, c, got, s)
							}
						}
					}
				}
			}
		})
	}
}
