package topo

import (
	"slices"
	"testing"
)

func TestSort(t *testing.T) {
	tests := []struct {
		name      string
		deps      [][]int
		want, cyc []int
	}{
		{name: "empty"},
		{name: "in order", deps: [][]int{nil, {0}, {1}}, want: []int{0, 1, 2}},
		{name: "reversed", deps: [][]int{{1}, {2}, nil}, want: []int{2, 1, 0}},
		{name: "stable among ready", deps: [][]int{{3}, nil, {3}, nil}, want: []int{1, 3, 0, 2}},
		{name: "diamond with repeats", deps: [][]int{nil, {0, 0}, {0}, {2, 1}}, want: []int{0, 1, 2, 3}},
		{name: "cycle", deps: [][]int{nil, {2}, {1}, {0}, {1}}, want: []int{0, 3}, cyc: []int{1, 2, 4}},
		{name: "self loop", deps: [][]int{{0}}, want: []int{}, cyc: []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			order, stuck := Sort(len(tc.deps), func(i int) []int { return tc.deps[i] })
			if len(order) != len(tc.want) || !slices.Equal(order, tc.want) && len(tc.want) > 0 {
				t.Errorf("order %v, want %v", order, tc.want)
			}
			if !slices.Equal(stuck, tc.cyc) {
				t.Errorf("stuck %v, want %v", stuck, tc.cyc)
			}
		})
	}
}
