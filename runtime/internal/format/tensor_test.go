package format

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// Tests of the tensor constructors.

func TestTensorHelpers(t *testing.T) {
	data := []float32{1, -2.5, 0.1, 65504, 1e-8, float32(math.Inf(-1))}
	tests := []struct {
		name  string
		make  func(string, []int, []float32) (Tensor, error)
		dtype string
		want  func(float32) float32 // the value Float32s must return
	}{
		{"f32", NewF32Tensor, DTypeF32, func(v float32) float32 { return v }},
		{"f16", NewF16Tensor, DTypeF16, func(v float32) float32 { return float32(refHalfToFloat64(refNearestHalf(float64(v)))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn, err := tt.make("t", []int{2, 3}, data)
			if err != nil {
				t.Fatal(err)
			}
			if tn.DType != tt.dtype || len(tn.Data) != len(data)*ElemSize(tt.dtype) {
				t.Fatalf("dtype %s, %d bytes", tn.DType, len(tn.Data))
			}
			got, err := tn.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range data {
				if w := tt.want(v); math.Float32bits(got[i]) != math.Float32bits(w) {
					t.Errorf("[%d] = %v, want %v", i, got[i], w)
				}
			}
			if _, err := tt.make("t", []int{4}, data); err == nil || !errors.Is(err, ErrBadModel) {
				t.Errorf("shape mismatch: error %v", err)
			}
			if _, err := tt.make("", []int{6}, data); err == nil {
				t.Error("empty name accepted")
			}
			tn.Data = tn.Data[1:]
			if _, err := tn.Float32s(); err == nil || !errors.Is(err, ErrBadModel) {
				t.Errorf("short data: error %v", err)
			}
		})
	}
	t.Run("f32 bytes little-endian", func(t *testing.T) {
		tn, err := NewF32Tensor("t", []int{1}, []float32{1})
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint32(tn.Data); got != math.Float32bits(1) {
			t.Errorf("bytes %x", tn.Data)
		}
	})
}
