package sniff_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/sniff"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

func zipOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("payload"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDetect(t *testing.T) {
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	wnn, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ox, err := onnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	var pngBuf, jpgBuf, gzBuf bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	png.Encode(&pngBuf, img)
	jpeg.Encode(&jpgBuf, img, nil)
	gz := gzip.NewWriter(&gzBuf)
	gz.Write(wnn)
	gz.Close()
	st := []byte(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`)
	safe := binary.LittleEndian.AppendUint64(nil, uint64(len(st)))
	safe = append(append(safe, st...), 0, 0, 0, 0)

	tests := []struct {
		name string
		b    []byte
		want sniff.Kind
		// explain must contain these
		explain []string
	}{
		{"wnn", wnn, sniff.WNN, []string{"this is a wasmnn model"}},
		{"onnx", ox, sniff.ONNX, []string{"this is an ONNX model"}},
		{"onnx truncated", ox[:len(ox)/2], sniff.ONNX, nil},
		{"onnx first bytes", ox[:40], sniff.ONNX, nil},
		{"empty", nil, sniff.Empty, []string{"the file is empty"}},
		{"text", []byte("hello world\nsecond line\n"), sniff.Text, []string{"this is a text file, not a .wnn or ONNX model", `"hello world …"`}},
		{"digits", []byte("12345\n"), sniff.Text, []string{"text file"}},
		{"utf8 text", []byte("Grüße, 世界\n"), sniff.Text, []string{"Grüße"}},
		{"html 404", []byte("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Cannot GET /models/x.wnn</body></html>"), sniff.HTML,
			[]string{"this is an HTML page", "check the model's URL", "<!DOCTYPE html>"}},
		{"html fragment", []byte("  <html>\n<body>Not found</body></html>"), sniff.HTML, nil},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), sniff.XML, []string{"XML file"}},
		{"tfjs layers model", []byte(`{"format": "layers-model", "generatedBy": "keras v2.4", "modelTopology": {"class_name": "Sequential"}, "weightsManifest": [{"paths": ["group1-shard1of1.bin"]}]}`),
			sniff.TFJS, []string{"this looks like a TensorFlow.js model.json", "tf2onnx"}},
		{"tfjs graph model", []byte("{\n  \"format\": \"graph-model\",\n  \"modelTopology\": {\"node\": []}}"), sniff.TFJS, nil},
		{"keras json", []byte(`{"class_name": "Sequential", "config": {}, "keras_version": "2.4.0"}`), sniff.Keras, []string{"Keras"}},
		{"json", []byte(`{"labels": ["cat", "dog"]}`), sniff.JSON, []string{"this is a JSON file", `{\"labels\"`}},
		{"json array", []byte(`[1, 2, 3]`), sniff.JSON, nil},
		{"lfs pointer", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:abcd\nsize 123\n"), sniff.LFSPointer, []string{"Git LFS pointer", "git lfs pull"}},
		{"onnx text", []byte("ir_version: 7\nproducer_name: \"pytorch\"\ngraph {\n"), sniff.ONNXText, []string{"text format"}},
		{"pytorch zip", zipOf(t, "archive/data.pkl", "archive/data/0"), sniff.PyTorch, []string{"PyTorch checkpoint", "torch.onnx.export"}},
		{"pytorch pickle", []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc}, sniff.PyTorch, nil},
		{"keras zip", zipOf(t, "metadata.json", "config.json", "model.weights.h5"), sniff.Keras, nil},
		{"keras h5", []byte("\x89HDF\r\n\x1a\n\x00\x00\x00\x00"), sniff.Keras, []string{"Keras", "--keras"}},
		{"zip", zipOf(t, "model.onnx"), sniff.Zip, []string{"this is a zip archive", "unzip it"}},
		{"gzip", gzBuf.Bytes(), sniff.Gzip, []string{"gzip", "decompress"}},
		{"png", pngBuf.Bytes(), sniff.PNG, []string{"this is a PNG image", "classify"}},
		{"jpeg", jpgBuf.Bytes(), sniff.JPEG, []string{"JPEG image"}},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), sniff.GIF, nil},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), sniff.WebP, nil},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), sniff.PDF, nil},
		{"wasm", []byte("\x00asm\x01\x00\x00\x00"), sniff.Wasm, []string{"WebAssembly module", "wasmURL"}},
		{"npy", []byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4'"), sniff.NPY, []string{"NumPy"}},
		{"tflite", []byte("\x1c\x00\x00\x00TFL3\x00\x00\x12\x00"), sniff.TFLite, []string{"TensorFlow Lite", "--tflite"}},
		{"safetensors", safe, sniff.SafeTensors, []string{"safetensors"}},
		{"gguf", []byte("GGUF\x03\x00\x00\x00"), sniff.GGUF, nil},
		{"msgpack map without marker", []byte("\x81\xa4name\xa3abc"), sniff.Msgpack, []string{"msgpack", "no \"format\": \"wnn\" marker"}},
		{"binary", []byte{0x13, 0x37, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05}, sniff.Unknown, []string{"neither a .wnn nor an ONNX model", "13 37 be ef 00 01 02 03 …"}},
		{"nul bytes", make([]byte, 64), sniff.Unknown, []string{"00 00 00 00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniff.Detect(tc.b); got != tc.want {
				t.Fatalf("Detect = %v (%d), want %v (%d)", got, got, tc.want, tc.want)
			}
			e := sniff.Explain(tc.b)
			for _, s := range tc.explain {
				if !strings.Contains(e, s) {
					t.Errorf("Explain = %q, want it to contain %q", e, s)
				}
			}
			if tc.want.IsModel() != (tc.want == sniff.WNN || tc.want == sniff.ONNX) {
				t.Errorf("IsModel(%v) = %v", tc.want, tc.want.IsModel())
			}
		})
	}
}

// TestExplainTextIsShort: a long first line is cut, so an error message stays readable.
func TestExplainTextIsShort(t *testing.T) {
	e := sniff.Explain([]byte(strings.Repeat("word ", 1000)))
	if len(e) > 160 || !strings.Contains(e, "…") {
		t.Errorf("Explain = %q (%d bytes), want a short quote ending in …", e, len(e))
	}
}

// TestKindStrings: every kind has a name.
func TestKindStrings(t *testing.T) {
	for k := sniff.Unknown; k <= sniff.Wasm; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "sniff.Kind") {
			t.Errorf("kind %d has no name", int(k))
		}
	}
	if s := sniff.Kind(-1).String(); s != "sniff.Kind(-1)" {
		t.Errorf("Kind(-1).String() = %q", s)
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"", "\x08\x07\x12\x04abcd:\x00", "\x89PNG\r\n\x1a\n", "{\"modelTopology\":1}", "\x80\x03", "PK\x03\x04", "\xe4\xb8"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k := sniff.Detect(b)
		if e := sniff.Explain(b); e == "" || !strings.HasPrefix(e, "th") {
			t.Fatalf("Explain(%q) = %q (kind %v)", b, e, k)
		}
	})
}
