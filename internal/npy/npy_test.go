package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// pad returns n spaces.
func pad(n int) string { return strings.Repeat(" ", n) }

// Hand-written files in the exact layout numpy produces. Every header below is
// 118 bytes ('v', 0) so the data starts at byte 128; the pad counts were
// worked out by hand from the dict lengths (57, 55, 59, 69 bytes).
const (
	// np.save(f, np.arange(1, 6, dtype=np.float32))
	fileF4Vec = "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }" + "%PAD60%" + "\n" +
		"\x00\x00\x80\x3f" + "\x00\x00\x00\x40" + "\x00\x00\x40\x40" + "\x00\x00\x80\x40" + "\x00\x00\xa0\x40"
	// np.save(f, np.float32(-0.5)) (0-d)
	fileF4Scalar = "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (), }" + "%PAD62%" + "\n" +
		"\x00\x00\x00\xbf"
	// np.save(f, np.array([[0, 1, 2], [253, 254, 255]], np.float32))
	fileF4Mat = "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + "%PAD58%" + "\n" +
		"\x00\x00\x00\x00" + "\x00\x00\x80\x3f" + "\x00\x00\x00\x40" + "\x00\x00\x7d\x43" + "\x00\x00\x7e\x43" + "\x00\x00\x7f\x43"
	// np.save(f, np.float64(2.5))
	fileF8Scalar = "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (), }" + "%PAD62%" + "\n" +
		"\x00\x00\x00\x00\x00\x00\x04\x40"
	// np.save(f, np.array([[0, 1, 2], [253, 254, 255]], np.uint8))
	fileU1 = "\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }" + "%PAD58%" + "\n" +
		"\x00\x01\x02\xfd\xfe\xff"
	// np.save(f, np.array([-1, 7, -300], np.int64))
	fileI8 = "\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }" + "%PAD60%" + "\n" +
		"\xff\xff\xff\xff\xff\xff\xff\xff" + "\x07\x00\x00\x00\x00\x00\x00\x00" + "\xd4\xfe\xff\xff\xff\xff\xff\xff"
	// The same values reshaped to (3, 1, ..., 1) with fourteen 1s, saved by a
	// numpy (1.23 and later) that appends 21-len(repr(shape[0])) = 20 spaces
	// for growing the first axis: the 98-byte dict then no longer fits 118
	// bytes, so the header is 182 bytes (0xb6) and the data starts at 192.
	fileI8Grow = "\x93NUMPY\x01\x00\xb6\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }" + "%PAD83%" + "\n" +
		"\xff\xff\xff\xff\xff\xff\xff\xff" + "\x07\x00\x00\x00\x00\x00\x00\x00" + "\xd4\xfe\xff\xff\xff\xff\xff\xff"
	// np.save(f, np.array([1, -2, 65504, 2**-24, inf], np.float16))
	fileF2 = "\x93NUMPY\x01\x00v\x00{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }" + "%PAD60%" + "\n" +
		"\x00\x3c" + "\x00\xc0" + "\xff\x7b" + "\x01\x00" + "\x00\x7c"
	// np.save(f, np.array([1, -3], '>i4')) (big-endian)
	fileI4BE = "\x93NUMPY\x01\x00v\x00{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }" + "%PAD60%" + "\n" +
		"\x00\x00\x00\x01" + "\xff\xff\xff\xfd"
	// Python 2 numpy wrote long integers with an L suffix.
	filePy2 = "\x93NUMPY\x01\x00F\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 2L), }" + "%PAD8%" + "\n" +
		"\x00\x00\x80\x3f" + "\x00\x00\x00\x40"
	// Version 2.0 (4-byte header length), as np.lib.format.write_array(f, a, version=(2, 0)).
	fileV2 = "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }" + "%PAD58%" + "\n" +
		"\x00\x00\x80\x3f" + "\x00\x00\x00\x40" + "\x00\x00\x40\x40" + "\x00\x00\x80\x40" + "\x00\x00\xa0\x40"
	// Version 3.0 (utf-8 header), with keys in an unusual order and double quotes.
	fileV3 = "\x93NUMPY\x03\x00t\x00\x00\x00{\"shape\": (1,), \"fortran_order\": False, \"descr\": \"<f4\"}" + "%PAD60%" + "\n" +
		"\x00\x00\x80\xbf"
)

// expand replaces %PADn% markers with n spaces.
func expand(s string) []byte {
	for {
		i := strings.Index(s, "%PAD")
		if i < 0 {
			return []byte(s)
		}
		j := strings.Index(s[i+4:], "%")
		n := 0
		for _, c := range s[i+4 : i+4+j] {
			n = n*10 + int(c-'0')
		}
		s = s[:i] + pad(n) + s[i+4+j+1:]
	}
}

type fixture struct {
	name  string
	file  string
	shape []int
	data  []float64 // expected values, computed independently of the bytes
	exact bool      // Write(shape, data) must reproduce the file byte for byte
}

var fixtures = []fixture{
	{"f4_vector", fileF4Vec, []int{5}, []float64{1, 2, 3, 4, 5}, true},
	{"f4_scalar", fileF4Scalar, []int{}, []float64{-0.5}, true},
	{"f4_matrix", fileF4Mat, []int{2, 3}, []float64{0, 1, 2, 253, 254, 255}, true},
	{"f8_scalar", fileF8Scalar, []int{}, []float64{2.5}, false},
	{"u1_matrix", fileU1, []int{2, 3}, []float64{0, 1, 2, 253, 254, 255}, false},
	{"i8_vector", fileI8, []int{3}, []float64{-1, 7, -300}, false},
	{"i8_growth_padding", fileI8Grow, []int{3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []float64{-1, 7, -300}, false},
	{"f2_vector", fileF2, []int{5}, []float64{1, -2, 65504, math.Ldexp(1, -24), math.Inf(1)}, false},
	{"i4_big_endian", fileI4BE, []int{2}, []float64{1, -3}, false},
	{"python2_long", filePy2, []int{1, 2}, []float64{1, 2}, false},
	{"version2", fileV2, []int{5}, []float64{1, 2, 3, 4, 5}, false},
	{"version3", fileV3, []int{1}, []float64{-1}, false},
}

// opaque hides every method but Read, so Read cannot learn the input size.
type opaque struct{ r io.Reader }

func (o opaque) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestNpyFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			b := expand(fx.file)
			for _, mode := range []string{"bytes", "opaque"} {
				var r io.Reader = bytes.NewReader(b)
				if mode == "opaque" {
					r = opaque{bytes.NewReader(b)}
				}
				shape, data, err := Read(r)
				if err != nil {
					t.Fatalf("%s: Read: %v", mode, err)
				}
				if !reflect.DeepEqual(shape, fx.shape) {
					t.Errorf("%s: shape = %v, want %v", mode, shape, fx.shape)
				}
				if len(data) != len(fx.data) {
					t.Fatalf("%s: %d elements, want %d", mode, len(data), len(fx.data))
				}
				for i := range data {
					if float64(data[i]) != fx.data[i] {
						t.Errorf("%s: data[%d] = %v, want %v", mode, i, data[i], fx.data[i])
					}
				}
			}
			if fx.exact {
				data := make([]float32, len(fx.data))
				for i, v := range fx.data {
					data[i] = float32(v)
				}
				var w bytes.Buffer
				if err := Write(&w, fx.shape, data); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(w.Bytes(), b) {
					t.Errorf("Write produced\n%q\nwant\n%q", w.Bytes(), b)
				}
			}
		})
	}
}

func TestNpyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][]int{{}, {0}, {1}, {7}, {2, 0, 3}, {3, 4}, {1, 3, 17, 19}, {2, 1, 1, 1, 1, 1, 1, 2}, {300000}}
	for _, shape := range shapes {
		name, _ := fmtShape(shape)
		t.Run(name, func(t *testing.T) {
			n := 1
			for _, d := range shape {
				n *= d
			}
			data := make([]float32, n)
			for i := range data {
				data[i] = math.Float32frombits(rng.Uint32())
			}
			var buf bytes.Buffer
			if err := Write(&buf, shape, data); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != 128+4*n {
				t.Errorf("file is %d bytes, want %d", buf.Len(), 128+4*n)
			}
			for _, mode := range []string{"bytes", "opaque"} {
				var r io.Reader = bytes.NewReader(buf.Bytes())
				if mode == "opaque" {
					r = opaque{bytes.NewReader(buf.Bytes())}
				}
				gotShape, got, err := Read(r)
				if err != nil {
					t.Fatalf("%s: %v", mode, err)
				}
				if !reflect.DeepEqual(gotShape, append([]int{}, shape...)) {
					t.Errorf("%s: shape %v, want %v", mode, gotShape, shape)
				}
				if len(got) != n {
					t.Fatalf("%s: %d elements, want %d", mode, len(got), n)
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(data[i]) {
						t.Fatalf("%s: element %d: bits %08x, want %08x", mode, i, math.Float32bits(got[i]), math.Float32bits(data[i]))
					}
				}
			}
		})
	}
}

// fmtShape renders a shape as Python would, for subtest names.
func fmtShape(shape []int) (string, int) {
	t := make(pyTuple, len(shape))
	for i, d := range shape {
		t[i] = int64(d)
	}
	return t.String(), len(shape)
}

func TestNpyFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		shape []int
		data  []float32
	}{
		{"vector", []int{3}, []float32{1, -2, 3.5}},
		{"scalar", nil, []float32{42}},
		{"empty", []int{0, 4}, []float32{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".npy")
			if err := WriteFile(path, tc.shape, tc.data); err != nil {
				t.Fatal(err)
			}
			shape, data, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(shape) != len(tc.shape) || len(data) != len(tc.data) {
				t.Fatalf("got shape %v len %d, want %v len %d", shape, len(data), tc.shape, len(tc.data))
			}
			for i := range data {
				if data[i] != tc.data[i] {
					t.Errorf("data[%d] = %v, want %v", i, data[i], tc.data[i])
				}
			}
			// A truncated copy is detected from the file size.
			b, _ := os.ReadFile(path)
			short := filepath.Join(dir, tc.name+"_short.npy")
			os.WriteFile(short, b[:len(b)-1], 0o644)
			if _, _, err := ReadFile(short); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), short) {
				t.Errorf("truncated file: err = %v, want ErrFormat naming the file", err)
			}
		})
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestNpyTruncated(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			b := expand(fx.file)
			for n := 0; n < len(b); n++ {
				for _, mode := range []string{"bytes", "opaque"} {
					var r io.Reader = bytes.NewReader(b[:n])
					if mode == "opaque" {
						r = opaque{bytes.NewReader(b[:n])}
					}
					_, _, err := Read(r)
					if !errors.Is(err, ErrFormat) {
						t.Fatalf("%s prefix %d of %d: err = %v, want ErrFormat", mode, n, len(b), err)
					}
				}
			}
		})
	}
}

// makeFile builds a version 1.0 file around dict and data without padding.
func makeFile(dict string, data string) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	return append(append(append(b, dict...), '\n'), data...)
}

func TestNpyBadInput(t *testing.T) {
	v2huge := []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{")
	tests := []struct {
		name string
		file []byte
		want string // substring of the error
	}{
		{"empty", nil, "empty input"},
		{"wrong_magic", []byte("\x93NUMPZ\x01\x00v\x00{}"), "bad magic"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "bad magic"},
		{"short_wrong_magic", []byte("PK"), "bad magic"},
		{"version4", []byte("\x93NUMPY\x04\x00\x10\x00\x00\x00"), "version 4.0"},
		{"version1_1", []byte("\x93NUMPY\x01\x01\x10\x00"), "version 1.1"},
		{"header_too_long", v2huge, "exceeds the limit"},
		{"bad_dtype_complex", makeFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "12345678"), "unsupported dtype \"<c8\""},
		{"bad_dtype_unicode", makeFile("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", "1234"), "unsupported dtype"},
		{"bad_dtype_object", makeFile("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "12345678"), "unsupported dtype"},
		{"bad_dtype_f16", makeFile("{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }", "1234"), "unsupported dtype"},
		{"structured_dtype", makeFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "1234"), "structured"},
		{"fortran_order", makeFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", strings.Repeat("\x00", 16)), "fortran_order is True"},
		{"huge_shape", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", ""), "more than 2147483647 elements"},
		{"overflow_shape", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", ""), "more than"},
		{"int64_overflow", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""), "out of range"},
		{"negative_dim", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""), "negative"},
		{"too_many_dims", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': ("+strings.Repeat("1, ", 65)+"), }", "1234"), "dimensions"},
		{"missing_shape", makeFile("{'descr': '<f4', 'fortran_order': False, }", ""), "no \"shape\""},
		{"extra_key", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", "1234"), "unexpected header key"},
		{"duplicate_key", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'shape': ()}", "1234"), "duplicate"},
		{"shape_not_tuple", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': 5, }", "1234"), "want a tuple"},
		{"shape_paren_int", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", "1234"), "trailing comma"},
		{"shape_float", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,), }", "1234"), "only integers"},
		{"shape_string", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': ('a',), }", "1234"), "want an integer"},
		{"fortran_not_bool", makeFile("{'descr': '<f4', 'fortran_order': 0, 'shape': (), }", "1234"), "want True or False"},
		{"not_dict", makeFile("[1, 2]", ""), "not a dict"},
		{"garbage_after", makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), } x", "1234"), "after the header dict"},
		{"unterminated", makeFile("{'descr': '<f4", ""), "newline in string"},
		{"unterminated_dict", makeFile("{'descr': '<f4'", ""), "unterminated dict"},
		{"deep_nesting", makeFile(strings.Repeat("(", 100), ""), "nesting"},
		{"bad_escape", makeFile("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (), }", "1234"), "escape"},
		{"unknown_name", makeFile("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (), }", "1234"), "unexpected name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"bytes", "opaque"} {
				var r io.Reader = bytes.NewReader(tc.file)
				if mode == "opaque" {
					r = opaque{bytes.NewReader(tc.file)}
				}
				_, _, err := Read(r)
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("%s: err = %v, want ErrFormat", mode, err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: err = %q, want it to mention %q", mode, err, tc.want)
				}
			}
		})
	}
}

// TestNpyLyingHeader checks that a header claiming far more data than the
// input holds fails without allocating the claimed size.
func TestNpyLyingHeader(t *testing.T) {
	tests := []struct {
		name  string
		dtype string
		shape string
		claim float64 // bytes claimed
	}{
		{"f8_max_elements", "<f8", "(2147483647,)", 8 * 2147483647},
		{"f4_4d", "<f4", "(1, 3, 30000, 20000)", 4 * 3 * 30000 * 20000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := makeFile("{'descr': '"+tc.dtype+"', 'fortran_order': False, 'shape': "+tc.shape+", }", strings.Repeat("\x00", 4096))
			for _, mode := range []string{"bytes", "opaque"} {
				var r io.Reader = bytes.NewReader(file)
				if mode == "opaque" {
					r = opaque{bytes.NewReader(file)}
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, _, err := Read(r)
				runtime.ReadMemStats(&after)
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "truncated") {
					t.Fatalf("%s: err = %v, want truncated-data ErrFormat", mode, err)
				}
				if alloc := float64(after.TotalAlloc - before.TotalAlloc); alloc > 16<<20 || alloc > tc.claim/100 {
					t.Errorf("%s: allocated %.0f bytes for a lying header claiming %.0f", mode, alloc, tc.claim)
				}
			}
		})
	}
}

func TestNpyWriteErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		n     int
		want  string
	}{
		{"count_mismatch", []int{2, 3}, 5, "holds 6 elements but data has 5"},
		{"scalar_needs_one", nil, 0, "holds 1 elements but data has 0"},
		{"negative", []int{-1}, 0, "negative"},
		{"too_many_elements", []int{1 << 20, 1 << 20}, 0, "more than"},
		{"too_many_dims", make([]int, 65), 0, "dimensions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tc.shape, make([]float32, tc.n))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(expand(fx.file))
	}
	f.Add(makeFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }", ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		shape, data, err := Read(bytes.NewReader(b))
		_, data2, err2 := Read(opaque{bytes.NewReader(b)})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("sized read err %v, unsized read err %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if len(data) != n || len(data2) != n {
			t.Fatalf("shape %v but %d / %d elements", shape, len(data), len(data2))
		}
		var buf bytes.Buffer
		if err := Write(&buf, shape, data); err != nil {
			t.Fatalf("re-write: %v", err)
		}
		shape3, data3, err := Read(&buf)
		if err != nil || !reflect.DeepEqual(shape3, shape) {
			t.Fatalf("re-read: shape %v err %v, want %v", shape3, err, shape)
		}
		for i := range data {
			if math.Float32bits(data[i]) != math.Float32bits(data3[i]) || math.Float32bits(data[i]) != math.Float32bits(data2[i]) {
				t.Fatalf("element %d differs after round trip", i)
			}
		}
	})
}
