package ops

import (
	"errors"
	"testing"
)

// TestResolveConvAlgoWinograd checks the winograd alias: the variant per
// layer, NewConv's use of it, and ParseConvAlgo.
func TestResolveConvAlgoWinograd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in, w   []int
		p       ConvParams
		want    ConvAlgo
		wantErr bool
	}{
		{"3x3 at 56x56: winograd4", []int{1, 64, 56, 56}, []int{64, 64, 3, 3}, ConvParams{Window: Window{PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}}, AlgoWinograd4, false},
		{"3x3 at 7x7: winograd4", []int{1, 512, 7, 7}, []int{512, 512, 3, 3}, ConvParams{Window: Window{PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}}, AlgoWinograd4, false},
		{"3x3 with a 2x2 output: winograd2", []int{1, 8, 4, 4}, []int{8, 8, 3, 3}, ConvParams{}, AlgoWinograd2, false},
		{"3x3 with a 2-wide output: winograd2", []int{1, 8, 16, 4}, []int{8, 8, 3, 3}, ConvParams{}, AlgoWinograd2, false},
		{"1D 3-tap over 64: winograd4", []int{1, 4, 64}, []int{4, 4, 3}, ConvParams{}, AlgoWinograd4, false},
		{"1D 3-tap over 5: winograd2", []int{1, 4, 5}, []int{4, 4, 3}, ConvParams{}, AlgoWinograd2, false},
		{"1x3 kernel, 1 row: winograd4 (tiles span W only)", []int{1, 4, 1, 32}, []int{4, 4, 1, 3}, ConvParams{}, AlgoWinograd4, false},
		{"5x5: Winograd does not apply", []int{1, 4, 16, 16}, []int{4, 4, 5, 5}, ConvParams{}, AlgoWinograd, true},
		{"stride 2: Winograd does not apply", []int{1, 4, 16, 16}, []int{4, 4, 3, 3}, ConvParams{Window: Window{Strides: []int{2, 2}}}, AlgoWinograd, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewConvGeom(tc.in, tc.w, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if got := ResolveConvAlgo(g, AlgoWinograd); got != tc.want {
				t.Fatalf("ResolveConvAlgo(winograd) = %q, want %q", got, tc.want)
			}
			cv, err := NewConv(g, make([]float32, convNumel(g.WeightShape())), nil, Activation{}, AlgoWinograd)
			if tc.wantErr {
				if !errors.Is(err, ErrAlgo) {
					t.Fatalf("NewConv(winograd) err %v, want ErrAlgo", err)
				}
				return
			}
			if err != nil || cv.Algo() != tc.want {
				t.Fatalf("NewConv(winograd): %v, %v", cv, err)
			}
		})
	}
	g, _ := NewConvGeom([]int{1, 64, 56, 56}, []int{64, 64, 3, 3}, ConvParams{})
	for _, a := range []ConvAlgo{"", AlgoAuto} {
		if got := ResolveConvAlgo(g, a); got != ChooseConvAlgo(g) {
			t.Errorf("ResolveConvAlgo(%q) = %q, want ChooseConvAlgo's %q", a, got, ChooseConvAlgo(g))
		}
	}
	if got := ResolveConvAlgo(g, AlgoIm2col); got != AlgoIm2col {
		t.Errorf("ResolveConvAlgo(im2col) = %q", got)
	}
	if a, err := ParseConvAlgo("winograd"); a != AlgoWinograd || err != nil {
		t.Errorf("ParseConvAlgo(winograd) = %q, %v", a, err)
	}
	if _, err := ParseConvAlgo("winograd3"); !errors.Is(err, ErrAlgo) {
		t.Errorf("ParseConvAlgo(winograd3) err %v", err)
	}
}
