package runtime

import (
	"fmt"
	"testing"
)

// chainModel builds a residual chain: conv, relu, add with the block input,
// several times, so that buffers can be reused.
func chainModel(t *testing.T, blocks int) *Model {
	b := NewBuilder("chain", 1)
	x := b.Input("x", 1, 4, 8, 8)
	for i := 0; i < blocks; i++ {
		y := b.Conv(fmt.Sprintf("c%d", i), x, 4, ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}})
		y = b.Act(fmt.Sprintf("r%d", i), "Relu", y, nil)
		x = b.Add(fmt.Sprintf("a%d", i), y, x)
	}
	f := b.Flatten("flat", x)
	b.Output(b.Dense("fc", f, 3))
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBuffersNeverOverlapWhileLive checks the arena plan: any two values
// that are live at the same step occupy disjoint ranges.
func TestBuffersNeverOverlapWhileLive(t *testing.T) {
	for _, fusion := range []bool{true, false} {
		p, err := newPlan(chainModel(t, 6), Options{NoFusion: !fusion})
		if err != nil {
			t.Fatal(err)
		}
		var owned []*value
		total := 0
		for _, v := range p.values {
			if v.offset >= 0 {
				owned = append(owned, v)
				total += v.size
			}
		}
		for i, a := range owned {
			for _, b := range owned[i+1:] {
				liveTogether := a.producer <= b.lastUse && b.producer <= a.lastUse
				disjoint := a.offset+a.size <= b.offset || b.offset+b.size <= a.offset
				if liveTogether && !disjoint {
					t.Errorf("fusion %v: %q [%d,%d) and %q [%d,%d) overlap while both are live",
						fusion, a.name, a.offset, a.offset+a.size, b.name, b.offset, b.offset+b.size)
				}
			}
		}
		if p.arena >= total {
			t.Errorf("fusion %v: arena %d floats reuses nothing (values total %d)", fusion, p.arena, total)
		}
		t.Logf("fusion %v: %d steps, arena %d floats for %d floats of values", fusion, len(p.steps), p.arena, total)
	}
}

func TestResolveReshape(t *testing.T) {
	for _, tc := range []struct {
		in, want, out []int
		ok            bool
	}{
		{[]int{2, 3, 4}, []int{0, -1}, []int{2, 12}, true},
		{[]int{2, 3, 4}, []int{-1}, []int{24}, true},
		{[]int{2, 3, 4}, []int{4, 0, 2}, []int{4, 3, 2}, true},
		{[]int{2, 3, 4}, []int{-1, -1}, nil, false},
		{[]int{2, 3, 4}, []int{5, -1}, nil, false},
		{[]int{2, 3, 4}, []int{2, 3, 5}, nil, false},
		{[]int{2, 3}, []int{0, 0, 0}, nil, false},
	} {
		got, err := ResolveReshape(tc.in, tc.want)
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprint(got) != fmt.Sprint(tc.out)) {
			t.Errorf("reshape %v to %v: got %v, %v", tc.in, tc.want, got, err)
		}
	}
}
