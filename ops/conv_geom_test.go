package ops

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Expected sizes below follow PyTorch's formula
// out = floor((in + pb + pe - d*(k-1) - 1) / s) + 1 (ceil in ceil mode, then
// a last window starting past in+pb is dropped) and ONNX's SAME rule
// out = ceil(in / s), total pad = (out-1)*s + d*(k-1) + 1 - in.
func TestNewConvGeomShapes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, w    []int
		p        ConvParams
		want     []int
		wantHead Dims3
	}{
		// (224 + 3 + 3 - 7) / 2 + 1 = 111 + 1 = 112
		{"resnet_stem", []int{1, 3, 224, 224}, []int{64, 3, 7, 7},
			ConvParams{Window: Window{Strides: []int{2, 2}, PadsBegin: []int{3, 3}, PadsEnd: []int{3, 3}}},
			[]int{1, 64, 112, 112}, Dims3{0, 3, 3}},
		// extent 2*(3-1)+1 = 5: (10 - 5) / 1 + 1 = 6
		{"1d_dilated", []int{2, 8, 10}, []int{4, 8, 3}, ConvParams{Window: Window{Dilations: []int{2}}},
			[]int{2, 4, 6}, Dims3{}},
		// ceil(7/2) = 4; total pad (4-1)*2 + 3 - 7 = 2 -> 1, 1
		{"same_upper_stride2", []int{1, 4, 7, 7}, []int{8, 4, 3, 3},
			ConvParams{Window: Window{Strides: []int{2, 2}, AutoPad: PadSameUpper}}, []int{1, 8, 4, 4}, Dims3{0, 1, 1}},
		// ceil(8/1) = 8; total pad 7 + 4 - 8 = 3 -> lower puts 2 first
		{"same_lower_even_kernel", []int{1, 1, 8}, []int{1, 1, 4},
			ConvParams{Window: Window{AutoPad: PadSameLower}}, []int{1, 1, 8}, Dims3{0, 0, 2}},
		// same with upper: 1 first
		{"same_upper_even_kernel", []int{1, 1, 8}, []int{1, 1, 4},
			ConvParams{Window: Window{AutoPad: PadSameUpper}}, []int{1, 1, 8}, Dims3{0, 0, 1}},
		// (5 + 2 - 3) / 1 + 1 = 5 in each of 3 axes
		{"grouped_3d", []int{1, 6, 5, 5, 5}, []int{6, 2, 3, 3, 3},
			ConvParams{Groups: 3, Window: Window{PadsBegin: []int{1, 1, 1}, PadsEnd: []int{1, 1, 1}}},
			[]int{1, 6, 5, 5, 5}, Dims3{1, 1, 1}},
		// (9 - 3) / 2 + 1 = 4
		{"depthwise", []int{1, 32, 9, 9}, []int{32, 1, 3, 3}, ConvParams{Groups: 32, Window: Window{Strides: []int{2, 2}}},
			[]int{1, 32, 4, 4}, Dims3{}},
		// valid ignores pads: (5 - 3) / 2 + 1 = 2
		{"valid_ignores_pads", []int{1, 1, 5}, []int{1, 1, 3},
			ConvParams{Window: Window{Strides: []int{2}, PadsBegin: []int{4}, PadsEnd: []int{4}, AutoPad: PadValid}},
			[]int{1, 1, 2}, Dims3{}},
		// asymmetric: (6 + 0 + 2 - 3) / 3 + 1 = 2
		{"asymmetric_pads", []int{1, 2, 6}, []int{3, 2, 3},
			ConvParams{Window: Window{Strides: []int{3}, PadsEnd: []int{2}}}, []int{1, 3, 2}, Dims3{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewConvGeom(tc.in, tc.w, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if !EqualShapes(g.OutShape(), tc.want) || g.PadHead != tc.wantHead {
				t.Fatalf("output %v, head pad %+v; want %v, %+v", g.OutShape(), g.PadHead, tc.want, tc.wantHead)
			}
			if !EqualShapes(g.InShape(), tc.in) || !EqualShapes(g.WeightShape(), tc.w) {
				t.Fatalf("in %v, weights %v; want %v, %v", g.InShape(), g.WeightShape(), tc.in, tc.w)
			}
		})
	}
}

func TestGeomErrors(t *testing.T) {
	conv := func(in, w []int, p ConvParams) func() error {
		return func() error { _, err := NewConvGeom(in, w, p); return err }
	}
	pool := func(in []int, p PoolParams) func() error {
		return func() error { _, err := NewPoolGeom(in, p); return err }
	}
	k3 := []int{3, 3}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"conv_kernel_larger_than_padded_input", conv([]int{1, 1, 2, 2}, []int{1, 1, 3, 3}, ConvParams{})},
		{"conv_kernel_larger_even_in_valid", conv([]int{1, 1, 4}, []int{1, 1, 5}, ConvParams{Window: Window{PadsBegin: []int{1}, PadsEnd: []int{1}, AutoPad: PadValid}})},
		{"conv_input_rank_2", conv([]int{1, 3}, []int{1, 3}, ConvParams{})},
		{"conv_input_rank_6", conv([]int{1, 1, 2, 2, 2, 2}, []int{1, 1, 1, 1, 1, 1}, ConvParams{})},
		{"conv_weight_rank", conv([]int{1, 3, 5, 5}, []int{4, 3, 3}, ConvParams{})},
		{"conv_groups_not_dividing_c", conv([]int{1, 6, 5, 5}, []int{4, 1, 3, 3}, ConvParams{Groups: 4})},
		{"conv_groups_not_dividing_m", conv([]int{1, 6, 5, 5}, []int{5, 2, 3, 3}, ConvParams{Groups: 3})},
		{"conv_weights_channels", conv([]int{1, 6, 5, 5}, []int{6, 3, 3, 3}, ConvParams{Groups: 3})},
		{"conv_negative_groups", conv([]int{1, 6, 5, 5}, []int{6, 6, 3, 3}, ConvParams{Groups: -1})},
		{"conv_negative_pad", conv([]int{1, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{Window: Window{PadsBegin: []int{0, -1}}})},
		{"conv_zero_stride", conv([]int{1, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{Window: Window{Strides: []int{1, 0}}})},
		{"conv_zero_dilation", conv([]int{1, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{Window: Window{Dilations: []int{0, 1}}})},
		{"conv_strides_length", conv([]int{1, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{Window: Window{Strides: []int{1}}})},
		{"conv_zero_batch", conv([]int{0, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{})},
		{"conv_zero_kernel", conv([]int{1, 1, 5, 5}, []int{1, 1, 0, 3}, ConvParams{})},
		{"pool_kernel_larger_than_padded_input", pool([]int{1, 1, 3, 3}, PoolParams{Kernel: []int{5, 5}})},
		// floor: (1 - 3) / 3 < 0; ceil mode accepts it (see shapes)
		{"pool_floor_kernel_larger", pool([]int{1, 1, 1}, PoolParams{Kernel: []int{3}, Window: Window{Strides: []int{3}}})},
		// ceil: ceil((1 - 6) / 3) + 1 = -1 + 1 = 0
		{"pool_ceil_kernel_much_larger", pool([]int{1, 1, 1}, PoolParams{Kernel: []int{6}, Window: Window{Strides: []int{3}}, CeilMode: true})},
		{"pool_input_rank_2", pool([]int{1, 1}, PoolParams{})},
		{"pool_input_rank_6", pool([]int{1, 1, 2, 2, 2, 2}, PoolParams{Kernel: []int{1, 1, 1, 1}})},
		{"pool_kernel_rank", pool([]int{1, 1, 5, 5}, PoolParams{Kernel: []int{3}})},
		{"pool_pads_rank", pool([]int{1, 1, 5, 5}, PoolParams{Kernel: k3, Window: Window{PadsEnd: []int{1, 1, 1}}})},
		{"pool_negative_pad", pool([]int{1, 1, 5, 5}, PoolParams{Kernel: k3, Window: Window{PadsEnd: []int{-1, 0}}})},
		{"pool_zero_stride", pool([]int{1, 1, 5, 5}, PoolParams{Kernel: k3, Window: Window{Strides: []int{0, 1}}})},
		{"pool_zero_kernel", pool([]int{1, 1, 5, 5}, PoolParams{Kernel: []int{3, 0}})},
		{"pool_zero_channels", pool([]int{1, 0, 5, 5}, PoolParams{Kernel: k3})},
		{"pool_unknown_kind", pool([]int{1, 1, 5, 5}, PoolParams{Kind: 7, Kernel: k3})},
		// window 0 reads positions -2 and -1 only
		{"pool_window_in_padding", pool([]int{1, 1, 3}, PoolParams{Kernel: []int{2}, Window: Window{PadsBegin: []int{2}}})},
		// 4 windows (3 + 2 - 2 + 1); the last one reads positions 3 and 4 only
		{"pool_last_window_in_padding", pool([]int{1, 1, 3}, PoolParams{Kernel: []int{2}, Window: Window{PadsEnd: []int{2}}})},
		// SAME on one pixel with dilation 3: taps -1 and 2 (pads 1, 2), neither inside
		{"pool_dilated_window_misses_input", pool([]int{1, 1, 1}, PoolParams{Kernel: []int{2},
			Window: Window{Dilations: []int{3}, AutoPad: PadSameUpper}})},
		{"pool_huge_pad", pool([]int{1, 1, 5}, PoolParams{Kernel: []int{2}, Window: Window{PadsEnd: []int{MaxElements + 1}}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrShape) {
				t.Fatalf("error %q does not wrap ErrShape", err)
			}
		})
	}
}

// TestConvGeomRandom compares NewConvGeom's output sizes with PyTorch's
// formula (and ONNX's SAME rule) on random shapes.
func TestConvGeomRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 300; i++ {
		rank := 1 + rng.IntN(3)
		in := []int{1 + rng.IntN(3), 1 + rng.IntN(4)}
		w := []int{1 + rng.IntN(4), in[1]}
		var p ConvParams
		p.AutoPad = []AutoPad{PadExplicit, PadExplicit, PadSameUpper, PadSameLower, PadValid}[rng.IntN(5)]
		for a := 0; a < rank; a++ {
			in = append(in, 1+rng.IntN(12))
			w = append(w, 1+rng.IntN(5))
			p.Strides = append(p.Strides, 1+rng.IntN(3))
			p.Dilations = append(p.Dilations, 1+rng.IntN(2))
			p.PadsBegin = append(p.PadsBegin, rng.IntN(3))
			p.PadsEnd = append(p.PadsEnd, rng.IntN(3))
		}
		t.Run(fmt.Sprintf("%d_%v_%v_%v", i, in, w, p.AutoPad), func(t *testing.T) {
			want := []int{in[0], w[0]}
			ok := true
			for a := 0; a < rank; a++ {
				pb, pe := p.PadsBegin[a], p.PadsEnd[a]
				switch p.AutoPad {
				case PadValid:
					pb, pe = 0, 0
				case PadSameUpper, PadSameLower:
					pb, pe = ref.SamePads(in[2+a], w[2+a], p.Strides[a], p.Dilations[a], p.AutoPad == PadSameUpper)
				}
				o := ref.PoolOutSize(in[2+a], w[2+a], p.Strides[a], p.Dilations[a], pb, pe, false)
				ok = ok && o >= 1
				want = append(want, o)
			}
			g, err := NewConvGeom(in, w, p)
			switch {
			case !ok && err == nil:
				t.Fatalf("accepted; formula gives %v", want)
			case ok && err != nil:
				t.Fatalf("rejected (%v); formula gives %v", err, want)
			case ok && !EqualShapes(g.OutShape(), want):
				t.Fatalf("output %v, want %v", g.OutShape(), want)
			}
		})
	}
}
