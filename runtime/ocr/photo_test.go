package ocr

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// photoCases are real photographs of text (testdata/README.md says where
// each comes from and its licence), with the options they are read with.
var photoCases = []struct {
	file string
	// opts: the oracle keeps every box the detector finds, so the photos
	// are read without a box score threshold, as it reads them.
	opts Options
	// lines is how many lines the oracle reads (a check on the test).
	lines int
}{
	{"photo-page.png", Options{BoxThresh: -1}, 7},
}

// maxPhotoCER is the target: at most 2% character error rate
// against the oracle on a real photo.
const maxPhotoCER = 0.02

// TestOraclePhoto reads real photographs with wasmnn and with
// @gutenye/ocr-node and requires a character error rate of wasmnn's text
// against the oracle's (the lines joined by single spaces) of at most 2%.
//
// With PaddleOCR's box threshold (0.6) wasmnn drops two lines of
// photo-page.png whose boxes score 0.59 and 0.54 (the page's lower half is
// darker), which the oracle keeps.
func TestOraclePhoto(t *testing.T) {
	reader(t) // skips without the models
	var files []string
	for _, c := range photoCases {
		files = append(files, filepath.Join("testdata", c.file))
	}
	abs := make([]string, len(files))
	for i, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		abs[i] = a
	}
	oracle := runOracle(t, abs)
	for i, c := range photoCases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(files[i])
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			r, err := LoadFiles(FilesIn(DefaultDir()), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Read(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			want := oracle[abs[i]]
			if len(want.Lines) != c.lines {
				t.Fatalf("the oracle read %d lines, want %d", len(want.Lines), c.lines)
			}
			var g, o []string
			for _, l := range got {
				g = append(g, l.Text)
			}
			for _, l := range want.Lines {
				o = append(o, l.Text)
			}
			gt, ot := joinLines(g), joinLines(o)
			e := cer(gt, ot)
			t.Logf("wasmnn: %q\noracle: %q\nCER %.2f%% (%d lines, the oracle %d)", gt, ot, 100*e, len(got), len(want.Lines))
			if e > maxPhotoCER {
				t.Errorf("CER %.2f%% against the oracle, more than %.0f%%", 100*e, 100*maxPhotoCER)
			}
		})
	}
}

// joinLines joins lines with single spaces, runs of white space collapsed.
func joinLines(lines []string) string {
	return strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
}

// cer is the character error rate of got against want: the edit distance
// (insertions, deletions, substitutions of code points) over want's length.
func cer(got, want string) float64 {
	a, b := []rune(got), []rune(want)
	if len(b) == 0 {
		if len(a) == 0 {
			return 0
		}
		return 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(b)]) / float64(len(b))
}

func TestCER(t *testing.T) {
	for _, c := range []struct {
		got, want string
		cer       float64
	}{
		{"abc", "abc", 0},
		{"", "", 0},
		{"x", "", 1},
		{"", "abcd", 1},
		{"abd", "abcd", 0.25},
		{"kitten", "sitting", 3.0 / 7},
		{"größe", "grösse", 2.0 / 6},
	} {
		if got := cer(c.got, c.want); got != c.cer {
			t.Errorf("cer(%q, %q) = %v, want %v", c.got, c.want, got, c.cer)
		}
	}
}
