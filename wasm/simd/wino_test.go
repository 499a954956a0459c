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

// TestWino4In runs wino4_in on random patches and requires the output
// bit-identical to Wino4InRef (positions outside the written lanes
// untouched), and Wino4InRef within rounding of Bᵀ x B in float64.
func TestWino4In(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ n, stride int }{{1, 4}, {3, 12}, {17, 70}, {64, 256 + 4}} {
		t.Run(fmt.Sprintf("n%d_stride%d", tc.n, tc.stride), func(t *testing.T) {
			d := randSlice(rng, tc.n*144)
			vlen := 35*tc.stride + tc.n*4
			v0 := randSlice(rng, vlen+tc.stride) // guard values past the end
			dAddr, vAddr := uint32(1<<16+4), uint32(1<<20+8)
			k.write(dAddr, d)
			k.write(vAddr, v0)
			k.call(t, "wino4_in", dAddr, vAddr, uint32(tc.n), uint32(tc.stride))
			got := make([]float32, len(v0))
			k.read(vAddr, got)
			want := append([]float32(nil), v0...)
			Wino4InRef(d, want[:vlen], tc.n, tc.stride)
			checkBits(t, "v", got, want)
			for g := 0; g < tc.n; g++ {
				for l := 0; l < 4; l++ {
					for i := 0; i < 6; i++ {
						for j := 0; j < 6; j++ {
							s, mag := 0.0, 0.0
							for r := 0; r < 6; r++ {
								for c := 0; c < 6; c++ {
									p := bt4[i][r] * float64(d[g*144+(r*6+c)*4+l]) * bt4[j][c]
									s += p
									mag += math.Abs(p)
								}
							}
							if got := float64(want[(i*6+j)*tc.stride+g*4+l]); math.Abs(got-s) > 1e-6*mag+1e-30 {
								t.Fatalf("group %d tile %d (%d,%d): %v, float64 %v", g, l, i, j, got, s)
							}
						}
					}
				}
			}
		})
	}
}

// TestWino4Out does the same for wino4_out, with and without bias.
func TestWino4Out(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct {
		n, stride, ldy int
		bias           bool
	}{{1, 4, 4, false}, {2, 40, 8, true}, {13, 64*64 + 3, 64, true}, {128, 128 * 20, 20, false}} {
		t.Run(fmt.Sprintf("n%d_stride%d_ldy%d_bias%v", tc.n, tc.stride, tc.ldy, tc.bias), func(t *testing.T) {
			ylen := 35*tc.stride + (tc.n-1)*tc.ldy + 4
			y := randSlice(rng, ylen)
			o0 := randSlice(rng, tc.n*64+8)
			var bias []float32
			yAddr, oAddr, bAddr := uint32(1<<16+12), uint32(1<<23+4), uint32(0)
			k.write(yAddr, y)
			k.write(oAddr, o0)
			if tc.bias {
				bias = randSlice(rng, tc.n)
				bAddr = 1<<23 - 4096
				k.write(bAddr, bias)
			}
			k.call(t, "wino4_out", yAddr, uint32(tc.stride), uint32(tc.ldy), oAddr, uint32(tc.n), bAddr)
			got := make([]float32, len(o0))
			k.read(oAddr, got)
			want := append([]float32(nil), o0...)
			Wino4OutRef(y, tc.stride, tc.ldy, want[:tc.n*64], tc.n, bias)
			checkBits(t, "o", got, want)
			for g := 0; g < tc.n; g++ {
				for l := 0; l < 4; l++ {
					for i := 0; i < 4; i++ {
						for c := 0; c < 4; c++ {
							s, mag := 0.0, 0.0
							if bias != nil {
								s, mag = float64(bias[g]), math.Abs(float64(bias[g]))
							}
							for p := 0; p < 6; p++ {
								for q := 0; q < 6; q++ {
									v := at4[i][p] * float64(y[(p*6+q)*tc.stride+g*tc.ldy+l]) * at4[c][q]
									s += v
									mag += math.Abs(v)
								}
							}
							if got := float64(want[g*64+l*16+i*4+c]); math.Abs(got-s) > 1e-6*mag+1e-30 {
								t.Fatalf("group %d tile %d (%d,%d): %v, float64 %v", g, l, i, c, got, s)
							}
						}
					}
				}
			}
		})
	}
}
