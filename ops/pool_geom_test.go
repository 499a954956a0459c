package ops

import "testing"

func TestNewPoolGeomShapes(t *testing.T) {
	pads := func(b, e int) Window {
		return Window{Strides: []int{2, 2}, PadsBegin: []int{b, b}, PadsEnd: []int{e, e}}
	}
	for _, tc := range []struct {
		name     string
		in       []int
		p        PoolParams
		want     []int
		wantTail Dims3
	}{
		// (112 + 2 - 3) / 2 + 1 = 55 + 1 = 56
		{"resnet_maxpool", []int{1, 64, 112, 112}, PoolParams{Kernel: []int{3, 3}, Window: pads(1, 1)},
			[]int{1, 64, 56, 56}, Dims3{0, 1, 1}},
		// (4 + 2 - 3) / 2 = 1.5: floor 1 + 1 = 2
		{"floor", []int{1, 1, 4, 4}, PoolParams{Kernel: []int{3, 3}, Window: pads(1, 1)}, []int{1, 1, 2, 2}, Dims3{0, 1, 1}},
		// ceil 2 + 1 = 3; last start 2*2 = 4 < 4 + 1: kept
		{"ceil", []int{1, 1, 4, 4}, PoolParams{Kernel: []int{3, 3}, Window: pads(1, 1), CeilMode: true},
			[]int{1, 1, 3, 3}, Dims3{0, 1, 1}},
		// (112 - 3) / 2 = 54.5: floor 55, ceil 56 (GoogLeNet)
		{"googlenet_floor", []int{1, 64, 112, 112}, PoolParams{Kernel: []int{3, 3}, Window: pads(0, 0)},
			[]int{1, 64, 55, 55}, Dims3{}},
		{"googlenet_ceil", []int{1, 64, 112, 112}, PoolParams{Kernel: []int{3, 3}, Window: pads(0, 0), CeilMode: true},
			[]int{1, 64, 56, 56}, Dims3{}},
		// (3 + 2 - 2) / 2 = 1.5 -> 2 + 1 = 3, but start 2*2 = 4 >= 3 + 1: 2
		{"ceil_last_window_in_padding", []int{1, 1, 3}, PoolParams{Kernel: []int{2},
			Window: Window{Strides: []int{2}, PadsBegin: []int{1}, PadsEnd: []int{1}}, CeilMode: true}, []int{1, 1, 2}, Dims3{0, 0, 1}},
		// (1 - 3) / 3 = -0.67: ceil 0 + 1 = 1 (PyTorch accepts this); floor is an error (below)
		{"ceil_kernel_larger_than_input", []int{1, 1, 1}, PoolParams{Kernel: []int{3},
			Window: Window{Strides: []int{3}}, CeilMode: true}, []int{1, 1, 1}, Dims3{}},
		// ceil(5/2) = 3, total pad 2*2 + 2 - 5 = 1 at the end
		{"same_upper", []int{1, 1, 5, 5}, PoolParams{Kernel: []int{2, 2}, Window: Window{Strides: []int{2, 2}, AutoPad: PadSameUpper}},
			[]int{1, 1, 3, 3}, Dims3{0, 1, 1}},
		// same_lower puts it at the beginning
		{"same_lower", []int{1, 1, 5}, PoolParams{Kernel: []int{2}, Window: Window{Strides: []int{2}, AutoPad: PadSameLower}},
			[]int{1, 1, 3}, Dims3{}},
		// 3D, kernel 2 stride 2: 4/2, 6/2, 8/2
		{"3d", []int{2, 3, 4, 6, 8}, PoolParams{Kernel: []int{2, 2, 2}, Window: Window{Strides: []int{2, 2, 2}}},
			[]int{2, 3, 2, 3, 4}, Dims3{}},
		// extent 2*2+1 = 5: 10 - 5 + 1 = 6
		{"dilated", []int{1, 1, 10}, PoolParams{Kernel: []int{3}, Window: Window{Dilations: []int{2}}}, []int{1, 1, 6}, Dims3{}},
		// stride larger than kernel: (9 - 2) / 4 + 1 = 2
		{"stride_gt_kernel", []int{1, 1, 9}, PoolParams{Kernel: []int{2}, Window: Window{Strides: []int{4}}}, []int{1, 1, 2}, Dims3{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewPoolGeom(tc.in, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if !EqualShapes(g.OutShape(), tc.want) || g.PadTail != tc.wantTail {
				t.Fatalf("output %v, tail pad %+v; want %v, %+v", g.OutShape(), g.PadTail, tc.want, tc.wantTail)
			}
		})
	}
}
