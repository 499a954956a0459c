package npy

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestReadInts(t *testing.T) {
	tests := []struct {
		name  string
		file  []byte
		shape []int
		want  []int64
	}{
		{"u1_matrix", expand(fileU1), []int{2, 3}, []int64{0, 1, 2, 253, 254, 255}},
		{"i8_vector", expand(fileI8), []int{3}, []int64{-1, 7, -300}},
		{"i4_big_endian", expand(fileI4BE), []int{2}, []int64{1, -3}},
		{"f4_whole", expand(fileF4Vec), []int{5}, []int64{1, 2, 3, 4, 5}},
		{"i8_exact_beyond_float32", makeFile("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", "\x01\x00\x00\x01\x00\x00\x00\x00"), []int{1}, []int64{1<<24 + 1}},
		{"i2", makeFile("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", "\x05\x00\xfe\xff"), []int{2}, []int64{5, -2}},
		{"i1", makeFile("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", "\x05\xfe"), []int{2}, []int64{5, -2}},
		{"u2_big_endian", makeFile("{'descr': '>u2', 'fortran_order': False, 'shape': (1,), }", "\x01\x02"), []int{1}, []int64{258}},
		{"u4", makeFile("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", "\xff\xff\xff\xff"), []int{1}, []int64{1<<32 - 1}},
		{"u8", makeFile("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", "\x09\x00\x00\x00\x00\x00\x00\x00"), []int{1}, []int64{9}},
		{"bool", makeFile("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", "\x00\x01\x02"), []int{3}, []int64{0, 1, 1}},
		{"f8_whole", makeFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", "\x00\x00\x00\x00\x00\x00\x1c\xc0"), []int{1}, []int64{-7}},
		{"f2_whole", makeFile("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", "\x00\x44"), []int{1}, []int64{4}},
		{"empty", makeFile("{'descr': '<i8', 'fortran_order': False, 'shape': (0,), }", ""), []int{0}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"bytes", "opaque"} {
				var r io.Reader = bytes.NewReader(tc.file)
				if mode == "opaque" {
					r = opaque{bytes.NewReader(tc.file)}
				}
				shape, data, err := ReadInts(r)
				if err != nil {
					t.Fatalf("%s: %v", mode, err)
				}
				if !reflect.DeepEqual(shape, tc.shape) || !reflect.DeepEqual(data, tc.want) {
					t.Errorf("%s: shape %v data %v, want %v %v", mode, shape, data, tc.shape, tc.want)
				}
			}
		})
	}
}

func TestReadIntsBad(t *testing.T) {
	f4 := func(vals string) []byte {
		return makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", vals)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"fraction", f4("\x00\x00\x80\x3f\x00\x00\xc0\x3f"), "element 1 is 1.5, not a whole number"},
		{"nan", f4("\x00\x00\xc0\x7f\x00\x00\x80\x3f"), "element 0 is NaN"},
		{"inf", f4("\x00\x00\x80\x3f\x00\x00\x80\xff"), "element 1 is -Inf"},
		{"f8_beyond_2^53", makeFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", "\x00\x00\x00\x00\x00\x00\x40\x43"), "not a whole number"},
		{"u8_overflow", makeFile("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", "\xff\xff\xff\xff\xff\xff\xff\xff"), "larger than the largest int64"},
		{"truncated", makeFile("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", "\x01\x00\x00\x00\x00\x00\x00\x00"), "needs 24 bytes, only 8 present"},
		{"complex", makeFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "12345678"), "unsupported dtype"},
		{"not_npy", []byte("0,1,2\n"), "bad magic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"bytes", "opaque"} {
				var r io.Reader = bytes.NewReader(tc.file)
				if mode == "opaque" {
					r = opaque{bytes.NewReader(tc.file)}
				}
				_, _, err := ReadInts(r)
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: err = %v, want ErrFormat mentioning %q", mode, err, tc.want)
				}
			}
		})
	}
}
