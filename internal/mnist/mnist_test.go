package mnist

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHeldOut(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 863, 944, 978, 1001, 1127} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := int(math.Floor(float64(n)/5 + 0.5))
			if got := HeldOut(n); got != want {
				t.Errorf("HeldOut(%d) = %d, want %d", n, got, want)
			}
		})
	}
}

// TestLoadPackage loads the installed npm package and checks the split rule
// on the real files.
func TestLoadPackage(t *testing.T) {
	dir := DefaultDir()
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("%v (the digits come from the npm package: run npm ci)", err)
	}
	trX, trY := s.Train()
	teX, teY := s.Test()
	if len(trX) != 8000 || len(trY) != 8000 || len(teX) != 2000 || len(teY) != 2000 {
		t.Fatalf("train %d/%d, test %d/%d: want 8000 and 2000", len(trX), len(trY), len(teX), len(teY))
	}
	counts := s.ClassCounts()
	want := [Classes]int{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}
	if counts != want {
		t.Errorf("class counts %v, want %v", counts, want)
	}
	// Per class: the test digits are the last round(n/5) images of the
	// file, the train digits the ones before, in file order.
	perTrain, perTest := [Classes]int{}, [Classes]int{}
	for _, y := range trY {
		perTrain[y]++
	}
	for _, y := range teY {
		perTest[y]++
	}
	for d := 0; d < Classes; d++ {
		ho := int(math.Round(float64(counts[d]) / 5))
		if perTest[d] != ho || perTrain[d] != counts[d]-ho {
			t.Errorf("class %d: %d train, %d test; want %d, %d", d, perTrain[d], perTest[d], counts[d]-ho, ho)
		}
	}
	for i := 1; i < len(teY); i++ {
		if teY[i] < teY[i-1] {
			t.Fatalf("test labels not in class order at %d", i)
		}
	}
	// The first held-out 0 is image 801 of 0.json: compare it with the
	// file read independently.
	raw, err := os.ReadFile(filepath.Join(dir, "0.json"))
	if err != nil {
		t.Fatal(err)
	}
	vals := strings.Split(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(string(raw), "[", 2)[1]), "]}"), ",")
	first := (counts[0] - HeldOut(counts[0])) * Pixels
	for i := 0; i < Pixels; i++ {
		var v float64
		if _, err := fmt.Sscan(strings.TrimSpace(vals[first+i]), &v); err != nil {
			t.Fatal(err)
		}
		if teX[0][i] != float32(v) {
			t.Fatalf("pixel %d of the first test image is %g, file has %g", i, teX[0][i], v)
		}
	}
	ink := 0
	for _, img := range append(trX[:50:50], teX[:50]...) {
		if len(img) != Pixels {
			t.Fatalf("image of %d values", len(img))
		}
		for _, v := range img {
			if v > 0.5 {
				ink++
			}
		}
	}
	if ink == 0 {
		t.Error("no ink in 100 images")
	}
}

func writeDigits(t *testing.T, dir string, content func(d int) string) {
	t.Helper()
	for d := 0; d < Classes; d++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json", d)), []byte(content(d)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func zeros(n int) string {
	return strings.TrimSuffix(strings.Repeat("0,", n), ",")
}

func TestLoadSmall(t *testing.T) {
	dir := t.TempDir()
	// Class d has d+1 images whose first pixel is the image index / 10.
	writeDigits(t, dir, func(d int) string {
		var parts []string
		for i := 0; i <= d; i++ {
			parts = append(parts, fmt.Sprintf("%g,%s", float64(i)/10, zeros(Pixels-1)))
		}
		return `{"data": [` + strings.Join(parts, ",") + `]}`
	})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	trX, trY := s.Train()
	teX, teY := s.Test()
	i, j := 0, 0
	for d := 0; d < Classes; d++ {
		n := d + 1
		ho := int(math.Round(float64(n) / 5))
		for k := 0; k < n-ho; k++ {
			if trY[i] != d || trX[i][0] != float32(float64(k)/10) {
				t.Fatalf("train %d: label %d first pixel %g, want %d, %g", i, trY[i], trX[i][0], d, float64(k)/10)
			}
			i++
		}
		for k := n - ho; k < n; k++ {
			if teY[j] != d || teX[j][0] != float32(float64(k)/10) {
				t.Fatalf("test %d: label %d first pixel %g, want %d, %g", j, teY[j], teX[j][0], d, float64(k)/10)
			}
			j++
		}
	}
	if i != len(trY) || j != len(teY) {
		t.Errorf("got %d train and %d test digits, want %d and %d", len(trY), len(teY), i, j)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name    string
		content string // of 3.json; the others are valid
		remove  bool
		want    string
	}{
		{"missing_file", "", true, "npm ci"},
		{"bad_json", `{"data": [0, 1`, false, "not a digit file"},
		{"no_data", `{"pixels": []}`, false, "no \"data\""},
		{"empty", `{"data": []}`, false, "multiple of 784"},
		{"short", `{"data": [` + zeros(Pixels+3) + `]}`, false, "787 values"},
		{"out_of_range", `{"data": [` + zeros(Pixels+5) + `,1.5,` + zeros(Pixels-6) + `]}`, false, "value 5 of image 1 is 1.5"},
		{"negative", `{"data": [-0.25,` + zeros(Pixels-1) + `]}`, false, "outside [0, 1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeDigits(t, dir, func(int) string { return `{"data": [` + zeros(Pixels) + `]}` })
			p := filepath.Join(dir, "3.json")
			if c.remove {
				os.Remove(p)
			} else if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if c.remove != errors.Is(err, ErrMissing) {
				t.Errorf("errors.Is(err, ErrMissing) = %v", !c.remove)
			}
		})
	}
	t.Run("missing_dir", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope"))
		if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "run npm ci") {
			t.Errorf("error %v", err)
		}
	})
}
