package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

type denseCase struct {
	batch, in, out int
	transposed     bool
	bias           bool
	act            Activation
}

func denseCases() []denseCase {
	shapes := [][3]int{{1, 1, 1}, {1, 7, 10}, {1, 300, 5}, {1, 64, 257}, {3, 33, 130}, {2, 520, 17},
		{9, 5, 3}, {130, 20, 9}, {4, 64, 11}, {5, 3, 8}, {7, 9, 1}}
	var cases []denseCase
	for i, s := range shapes {
		for _, tr := range []bool{true, false} {
			cases = append(cases, denseCase{s[0], s[1], s[2], tr, (i+len(cases))%2 == 0, convTestActs[len(cases)%len(convTestActs)]})
		}
	}
	return cases
}

func runDense(t *testing.T, d *Dense, x []float32, batch, threads int) []float32 {
	t.Helper()
	dst, check := guarded(t, batch*d.Out())
	ws, checkWS := guarded(t, d.WorkspaceLen(batch))
	for i := range ws {
		ws[i] = float32(math.NaN())
	}
	d.Forward(dst, x, ws, batch, threads)
	check()
	checkWS()
	return append([]float32(nil), dst...)
}

func TestDenseAgainstReference(t *testing.T) {
	for i, c := range denseCases() {
		t.Run(fmt.Sprintf("b%d_in%d_out%d_T%v_bias%v_%v", c.batch, c.in, c.out, c.transposed, c.bias, c.act.Kind), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			x, w := randSlice(rng, c.batch*c.in), randSlice(rng, c.in*c.out)
			var b []float32
			var b64 []float64
			if c.bias {
				b = randSlice(rng, c.out)
				b64 = ref.To64(b)
			}
			d, err := NewDense(w, b, c.in, c.out, c.transposed, c.act)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.Dense(ref.To64(x), c.batch, c.in, c.out, ref.To64(w), c.transposed, b64)
			refActivation(c.act, want)
			got := runDense(t, d, x, c.batch, 1)
			checkClose(t, got, want, 1e-5)
			for _, th := range []int{2, 3, 7} {
				if k := firstBitDiff(got, runDense(t, d, x, c.batch, th)); k >= 0 {
					t.Fatalf("threads=%d differs from threads=1 at %d", th, k)
				}
			}
			wantFLOPs := 2 * int64(c.batch*c.in*c.out)
			if c.bias {
				wantFLOPs += int64(c.batch * c.out)
			}
			if f := d.FLOPs(c.batch); f != wantFLOPs {
				t.Fatalf("FLOPs = %d, want %d", f, wantFLOPs)
			}
		})
	}
}

func TestDenseGOMAXPROCS(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	rng := rand.New(rand.NewPCG(1, 1))
	const batch, in, out = 3, 200, 600
	d, err := NewDense(randSlice(rng, in*out), randSlice(rng, out), in, out, true, Activation{Kind: ActTanh})
	if err != nil {
		t.Fatal(err)
	}
	x := randSlice(rng, batch*in)
	base := runDense(t, d, x, batch, 1)
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, th := range []int{2, 3, 7} {
			if k := firstBitDiff(base, runDense(t, d, x, batch, th)); k >= 0 {
				t.Fatalf("GOMAXPROCS=%d threads=%d differs at %d", procs, th, k)
			}
		}
	}
}

func TestDenseErrors(t *testing.T) {
	tests := []struct {
		name    string
		w, bias []float32
		in, out int
		act     Activation
		wantErr error
	}{
		{"ok", make([]float32, 6), make([]float32, 3), 2, 3, Activation{}, nil},
		{"weights_length", make([]float32, 5), nil, 2, 3, Activation{}, ErrShape},
		{"bias_length", make([]float32, 6), make([]float32, 2), 2, 3, Activation{}, ErrShape},
		{"zero_in", nil, nil, 0, 3, Activation{}, ErrShape},
		{"negative_out", nil, nil, 2, -1, Activation{}, ErrShape},
		{"activation", make([]float32, 6), nil, 2, 3, Activation{Kind: 42}, ErrAlgo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewDense(tc.w, tc.bias, tc.in, tc.out, true, tc.act)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestDenseForwardAllocs(t *testing.T) {
	for _, batch := range []int{1, 5} {
		t.Run(fmt.Sprint("batch", batch), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, 2))
			d, err := NewDense(randSlice(rng, 300*70), randSlice(rng, 70), 300, 70, false, Activation{Kind: ActReLU})
			if err != nil {
				t.Fatal(err)
			}
			x, dst := randSlice(rng, batch*300), make([]float32, batch*70)
			ws := make([]float32, d.WorkspaceLen(batch))
			if n := testing.AllocsPerRun(5, func() { d.Forward(dst, x, ws, batch, 1) }); n != 0 {
				t.Fatalf("%v allocations per Forward, want 0", n)
			}
		})
	}
}
