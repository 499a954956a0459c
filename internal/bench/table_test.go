package bench

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestTableRatios(t *testing.T) {
	cases := []*Case{{Name: "a/x", FLOPs: 2e9}}
	res := func(rt string, ms float64) Result {
		return Result{Case: "a/x", Runtime: rt, MedianMS: ms, GFLOPS: 2e9 / (ms * 1e6)}
	}
	tests := []struct {
		name    string
		results []Result
		// want: ratio column title -> the ratio cell ("" = column absent)
		want map[string]string
	}{
		{"node-simd vs fastest peer", []Result{res("node-simd", 6), res("node", 30), res("tfjs-wasm", 8), res("ort-web", 12)},
			map[string]string{"wasm / best peer": fmt.Sprintf("%.2fx", 6.0/8), "chromium / best peer": ""}},
		{"node without simd", []Result{res("node", 30), res("ort-web", 12)},
			map[string]string{"wasm / best peer": fmt.Sprintf("%.2fx", 30.0/12)}},
		{"failed peer is ignored", []Result{res("node-simd", 6), res("tfjs-wasm", 3), {Case: "a/x", Runtime: "ort-web", Error: "boom"}},
			map[string]string{"wasm / best peer": fmt.Sprintf("%.2fx", 6.0/3)}},
		{"chromium column", []Result{res("node-simd", 6), res("ort-web", 12), res("chromium-simd", 5), res("chromium-tfjs-wasm", 10),
			res("chromium-ort-web", 4)},
			map[string]string{"wasm / best peer": fmt.Sprintf("%.2fx", 6.0/12), "chromium / best peer": fmt.Sprintf("%.2fx", 5.0/4)}},
		{"no peer", []Result{res("wazero", 6)}, map[string]string{"wasm / best peer": "–"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Table(&buf, cases, tc.results); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 3 {
				t.Fatalf("want header, rule and one row, got:\n%s", buf.String())
			}
			split := func(l string) []string {
				f := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
				for i := range f {
					f[i] = strings.TrimSpace(f[i])
				}
				return f
			}
			head, row := split(lines[0]), split(lines[2])
			if len(head) != len(row) {
				t.Fatalf("header has %d cells, row %d:\n%s", len(head), len(row), buf.String())
			}
			for title, want := range tc.want {
				col := -1
				for i, h := range head {
					if h == title {
						col = i
					}
				}
				switch {
				case want == "" && col >= 0:
					t.Errorf("column %q present:\n%s", title, buf.String())
				case want != "" && col < 0:
					t.Errorf("column %q missing:\n%s", title, buf.String())
				case want != "" && row[col] != want:
					t.Errorf("%s = %q, want %q", title, row[col], want)
				}
			}
			for _, r := range tc.results {
				if r.Error == "" && !strings.Contains(lines[0], r.Runtime+" ms") {
					t.Errorf("no column for %s:\n%s", r.Runtime, buf.String())
				}
			}
		})
	}
}
