// Package sniff tells what a file is from its bytes: a wasmnn model (.wnn),
// an ONNX model, or one of the files people give a model loader by mistake
// (a text or HTML page, a TensorFlow.js model.json, a PyTorch checkpoint, an
// image, an archive...), so that a loader can say what it got instead of
// failing deep inside a decoder.
//
//	switch sniff.Detect(b) {
//	case sniff.WNN, sniff.Msgpack:
//		m, err = runtime.Load(b) // its errors say what is wrong inside
//	case sniff.ONNX:
//		m, _, err = onnx.Import(b, onnx.Options{})
//	default:
//		err = errors.New(sniff.Explain(b)) // "this is a text file, not a .wnn or ONNX model (it begins "...")"
//	}
//
// Detection reads at most the first few kilobytes, except for ONNX, whose
// top-level protobuf fields are walked (each is skipped by its length, so
// this costs one step per field, not per byte). It never fails and never
// panics; a damaged model of a known kind is still reported as that kind,
// so that its decoder can say what is damaged.
package sniff

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Kind is what a file looks like.
type Kind int

// The kinds Detect tells apart. Only WNN and ONNX are models wasmnn reads;
// Msgpack is a msgpack map without the .wnn marker (a damaged or foreign
// file that runtime.Load explains best).
const (
	Unknown     Kind = iota // binary data of no known kind
	Empty                   // no bytes at all
	WNN                     // a wasmnn model: a msgpack map with "format": "wnn"
	ONNX                    // an ONNX model (a protobuf ModelProto)
	Msgpack                 // a msgpack map that is not a .wnn file
	Text                    // UTF-8 text not recognised as anything below
	JSON                    // a JSON document
	TFJS                    // a TensorFlow.js model.json
	HTML                    // an HTML page (say a web server's 404 or index page)
	XML                     // an XML document (SVG included)
	LFSPointer              // a Git LFS pointer file instead of the object
	ONNXText                // an ONNX model in protobuf text format
	Zip                     // a zip archive
	PyTorch                 // a PyTorch checkpoint: a zip with data.pkl, or a pickle
	Keras                   // a Keras .keras archive or HDF5 (.h5) model
	TFLite                  // a TensorFlow Lite flatbuffer
	SafeTensors             // a safetensors weights file
	NPY                     // a NumPy array (.npy)
	GGUF                    // a GGUF model (llama.cpp)
	Gzip                    // gzip-compressed data
	PNG                     // a PNG image
	JPEG                    // a JPEG image
	GIF                     // a GIF image
	WebP                    // a WebP image
	BMP                     // a BMP image
	PDF                     // a PDF document
	Wasm                    // a WebAssembly module
)

var kindInfo = [...]struct{ name, advice string }{
	Unknown:     {"binary data of no kind wasmnn knows", ""},
	Empty:       {"an empty file", "check that the download or the path is right"},
	WNN:         {"a wasmnn model (.wnn)", ""},
	ONNX:        {"an ONNX model", ""},
	Msgpack:     {"a msgpack file without the .wnn marker", ""},
	Text:        {"a text file", ""},
	JSON:        {"a JSON file", ""},
	TFJS:        {"a TensorFlow.js model.json", "convert it to ONNX (python -m tf2onnx.convert --tfjs model.json --output model.onnx) and open the .onnx file"},
	HTML:        {"an HTML page", "a web server answered with a page (often a 404 or a dev server's index.html): check the model's URL"},
	XML:         {"an XML file", ""},
	LFSPointer:  {"a Git LFS pointer, not the file it stands for", "fetch the file itself (git lfs pull)"},
	ONNXText:    {"an ONNX model in protobuf text format", "wasmnn reads binary .onnx files: convert it with onnx.save or onnx.checker tools"},
	Zip:         {"a zip archive", "unzip it and open the model file inside"},
	PyTorch:     {"a PyTorch checkpoint", "export the model to ONNX (torch.onnx.export) and open the .onnx file"},
	Keras:       {"a Keras model", "convert it to ONNX (python -m tf2onnx.convert --keras model.h5 --output model.onnx) and open the .onnx file"},
	TFLite:      {"a TensorFlow Lite model", "convert it to ONNX (python -m tf2onnx.convert --tflite model.tflite --output model.onnx) and open the .onnx file"},
	SafeTensors: {"a safetensors weights file (weights without a graph)", "export the model to ONNX and open the .onnx file"},
	NPY:         {"a NumPy array (.npy)", "it is a tensor, not a model: give it as a model input"},
	GGUF:        {"a GGUF model (llama.cpp)", ""},
	Gzip:        {"gzip-compressed data", "decompress it first (a server may have sent a .gz file without Content-Encoding: gzip)"},
	PNG:         {"a PNG image", "to classify an image, load a model and pass the image to classify"},
	JPEG:        {"a JPEG image", "to classify an image, load a model and pass the image to classify"},
	GIF:         {"a GIF image", "to classify an image, load a model and pass the image to classify"},
	WebP:        {"a WebP image", "to classify an image, load a model and pass the image to classify"},
	BMP:         {"a BMP image", "to classify an image, load a model and pass the image to classify"},
	PDF:         {"a PDF document", ""},
	Wasm:        {"a WebAssembly module", "wasmnn.wasm is the engine, not a model: pass it as wasmURL"},
}

// String names the kind as a noun phrase: "a TensorFlow.js model.json".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindInfo) {
		return fmt.Sprintf("sniff.Kind(%d)", int(k))
	}
	return kindInfo[k].name
}

// IsModel reports whether wasmnn reads files of kind k as models (WNN and
// ONNX).
func (k Kind) IsModel() bool { return k == WNN || k == ONNX }

// headLen bounds the bytes the text and signature checks read.
const headLen = 4096

// Detect tells what b looks like.
func Detect(b []byte) Kind {
	if len(b) == 0 {
		return Empty
	}
	head := b[:min(len(b), headLen)]
	if isMsgpackMap(head[0]) {
		if bytes.Contains(head, []byte("\xa6format\xa3wnn")) {
			return WNN
		}
	}
	if k := magic(b); k != Unknown {
		return k
	}
	if looksONNX(b) {
		return ONNX
	}
	if isText(head) {
		return textKind(b)
	}
	if len(b) >= 8 && string(b[4:8]) == "TFL3" {
		return TFLite
	}
	if isSafeTensors(b) {
		return SafeTensors
	}
	if len(head) >= 6 && string(head[:2]) == "BM" && binary.LittleEndian.Uint32(head[2:6]) == uint32(len(b)) {
		return BMP
	}
	if isMsgpackMap(head[0]) {
		return Msgpack
	}
	return Unknown
}

// Explain describes b for an error message of a loader that reads .wnn and
// ONNX models: "this is a text file, not a .wnn or ONNX model (it begins
// "hello")", "this looks like a TensorFlow.js model.json, not a .wnn or
// ONNX model: convert it to ONNX (...)". For a WNN or ONNX file it says so
// ("this is an ONNX model").
func Explain(b []byte) string {
	k := Detect(b)
	switch k {
	case WNN, ONNX:
		return "this is " + k.String()
	case Empty:
		return "the file is empty: " + kindInfo[k].advice
	case Msgpack:
		return "this is a msgpack file but not a .wnn model (no \"format\": \"wnn\" marker)"
	}
	verb := "this looks like "
	switch k {
	case Text, JSON, HTML, XML, Zip, Gzip, PNG, JPEG, GIF, PDF:
		verb = "this is "
	}
	s := verb + k.String() + ", not a .wnn or ONNX model"
	switch k {
	case Text, JSON, HTML, XML:
		s += fmt.Sprintf(" (it begins %s)", quoteStart(b))
	case Unknown:
		s = "this is neither a .wnn nor an ONNX model (it begins with the bytes " + hexStart(b) + ")"
	}
	if a := kindInfo[k].advice; a != "" {
		s += ": " + a
	}
	return s
}

func isMsgpackMap(c byte) bool { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }

// magic recognises files by a signature that is not plain text.
func magic(b []byte) Kind {
	has := func(off int, sig string) bool { return len(b) >= off+len(sig) && string(b[off:off+len(sig)]) == sig }
	switch {
	case has(0, "\x89PNG\r\n\x1a\n"):
		return PNG
	case has(0, "\xff\xd8\xff"):
		return JPEG
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return GIF
	case has(0, "RIFF") && has(8, "WEBP"):
		return WebP
	case has(0, "%PDF-"):
		return PDF
	case has(0, "\x00asm"):
		return Wasm
	case has(0, "\x1f\x8b"):
		return Gzip
	case has(0, "\x89HDF\r\n\x1a\n"):
		return Keras
	case has(0, "\x93NUMPY"):
		return NPY
	case has(0, "GGUF"):
		return GGUF
	case has(0, "PK\x03\x04"), has(0, "PK\x05\x06"):
		return zipKind(b)
	case len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5:
		return PyTorch // a pickle, as torch.save wrote before 1.6
	}
	return Unknown
}

// zipKind looks at the names of the first entries of a zip archive.
func zipKind(b []byte) Kind {
	head := b[:min(len(b), 1<<16)]
	switch {
	case bytes.Contains(head, []byte("data.pkl")):
		return PyTorch
	case bytes.Contains(head, []byte("model.weights.h5")), bytes.Contains(head, []byte("metadata.json")) && bytes.Contains(head, []byte("config.json")):
		return Keras
	}
	return Zip
}

// modelFields are ModelProto's field numbers and wire types (onnx.proto).
var modelFields = map[protowire.Number]protowire.Type{
	1:  protowire.VarintType, // ir_version
	2:  protowire.BytesType,  // producer_name
	3:  protowire.BytesType,  // producer_version
	4:  protowire.BytesType,  // domain
	5:  protowire.VarintType, // model_version
	6:  protowire.BytesType,  // doc_string
	7:  protowire.BytesType,  // graph
	8:  protowire.BytesType,  // opset_import
	14: protowire.BytesType,  // metadata_props
	20: protowire.BytesType,  // training_info
	25: protowire.BytesType,  // functions
}

// maxIRVersion bounds a plausible ONNX IR version (13 in 2025).
const maxIRVersion = 100

// looksONNX walks the top-level protobuf fields of b: it is an ONNX model
// when every field is one of ModelProto's with its wire type and there is a
// graph, or when it starts with a plausible ir_version followed by another
// ModelProto field (a truncated or damaged model, which the ONNX decoder
// then explains).
func looksONNX(b []byte) bool {
	rest := b
	fields, graph := 0, false
	for len(rest) > 0 {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			break
		}
		want, ok := modelFields[num]
		if !ok || want != typ {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			break
		}
		if fields == 0 && num == 1 {
			if v, _ := protowire.ConsumeVarint(rest[n:]); v < 1 || v > maxIRVersion {
				return false
			}
		}
		graph = graph || num == 7
		fields++
		rest = rest[n+m:]
	}
	if len(rest) == 0 && graph {
		return true
	}
	return fields >= 1 && b[0] == 0x08 && (fields >= 2 || len(rest) > 0 && nextIsModelField(rest))
}

// nextIsModelField reports whether b starts with the tag of a ModelProto
// field.
func nextIsModelField(b []byte) bool {
	num, typ, n := protowire.ConsumeTag(b)
	want, ok := modelFields[num]
	return n > 0 && ok && want == typ
}

// isText reports whether head is UTF-8 text without control characters
// other than tab, newline, carriage return and form feed (a multi-byte
// character cut at the end of head counts as text).
func isText(head []byte) bool {
	for i := 0; i < len(head); {
		c := head[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size <= 1 {
			return len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:])
		}
		i += size
	}
	return true
}

// textKind tells text files apart by how they begin.
func textKind(b []byte) Kind {
	head := b[:min(len(b), 1<<16)]
	t := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t = bytes.TrimLeft(t, " \t\r\n\f")
	lower := strings.ToLower(string(t[:min(len(t), 512)]))
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(lower, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("version https://git-lfs.github.com/spec/"):
		return LFSPointer
	case has("<"):
		if has("<!doctype html", "<html", "<head", "<body", "<meta", "<title", "<script", "<style", "<div", "<pre", "<p>", "<h1") ||
			strings.Contains(lower, "<html") || strings.Contains(lower, "<!doctype html") {
			return HTML
		}
		return XML
	case has("{", "["):
		if bytes.Contains(head, []byte(`"modelTopology"`)) || bytes.Contains(head, []byte(`"weightsManifest"`)) {
			return TFJS
		}
		if bytes.Contains(head, []byte(`"class_name"`)) && bytes.Contains(head, []byte(`"keras_version"`)) {
			return Keras
		}
		return JSON
	case has("ir_version:", "ir_version :", "producer_name:", "graph {", "opset_import {"):
		return ONNXText
	}
	return Text
}

// isSafeTensors checks the safetensors layout: a little-endian uint64 header
// length, then that many bytes of JSON starting with '{'.
func isSafeTensors(b []byte) bool {
	if len(b) < 10 {
		return false
	}
	n := binary.LittleEndian.Uint64(b)
	return n >= 2 && n <= uint64(len(b)-8) && b[8] == '{'
}

// quoteStart quotes the first line of a text file, shortened.
func quoteStart(b []byte) string {
	t := bytes.TrimPrefix(b[:min(len(b), 200)], []byte("\xef\xbb\xbf"))
	t = bytes.TrimLeft(t, " \t\r\n\f")
	s := string(t)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		more := strings.TrimSpace(s[i:]) != "" || len(b) > 200
		s = s[:i]
		if more {
			s += " …"
		}
	}
	const maxRunes = 60
	if utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		s = string(r[:maxRunes]) + "…"
	}
	s = strings.ToValidUTF8(s, "")
	return fmt.Sprintf("%q", s)
}

// hexStart prints the first bytes of b in hex.
func hexStart(b []byte) string {
	n := min(len(b), 8)
	parts := make([]string, n)
	for i := range n {
		parts[i] = fmt.Sprintf("%02x", b[i])
	}
	s := strings.Join(parts, " ")
	if len(b) > n {
		s += " …"
	}
	return s
}
