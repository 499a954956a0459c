//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"syscall/js"
	"time"

	"github.com/wasmnn/wasmnn/runtime/ocr"
)

// The OCR methods of globalThis.__wasmnn (runtime/ocr: PaddleOCR's detector,
// direction classifier and recogniser with their pre- and post-processing,
// the pipeline of `wasmnn ocr`):
//
//	ocrLoad(det, cls, rec, keys: Uint8Array (cls may be null: no classifier), options: string /* JSON */) -> {id} | {error}
//	ocrRead(id, rgba: Uint8Array, width, height) -> {lines: string /* JSON */, detect, classify, recognize: ms, boxes} | {error}
//	ocrDispose(id) -> {} | {error}
//
// The models are ONNX files or .wnn models. ocrRead takes non-premultiplied
// RGBA pixels (the host decodes images) and returns the lines as `wasmnn ocr
// --json` prints them, [{"text", "score", "box": [[x,y] x4]}], with the
// milliseconds spent per stage and the number of boxes the detector found.
// Readers have their own ids, apart from the models of load.
func init() {
	handlers["ocrLoad"] = ocrLoad
	handlers["ocrRead"] = ocrRead
	handlers["ocrDispose"] = ocrDispose
}

// ocrReader is a loaded reader and the buffer its images are copied into,
// kept so that reading a stream of same-sized images does not allocate one
// per read.
type ocrReader struct {
	r   *ocr.Reader
	pix []byte
}

var (
	readers      = map[int]*ocrReader{}
	nextReaderID = 1
)

// ocrOptions are ocrLoad's JSON options, runtime/ocr.Options by the JS
// names; an absent field takes PaddleOCR's default. A threshold of 0 lets
// everything through, as on the CLI (ocr.Options reads 0 as "default", so it
// becomes -1).
type ocrOptions struct {
	LimitSideLen  int      `json:"limitSideLen"`
	LimitType     string   `json:"limitType"`
	Thresh        *float32 `json:"thresh"`
	BoxThresh     *float32 `json:"boxThresh"`
	UnclipRatio   float64  `json:"unclipRatio"`
	MaxCandidates int      `json:"maxCandidates"`
	LineTolerance float64  `json:"lineTolerance"`
	ClsThresh     *float32 `json:"clsThresh"`
	DropScore     *float32 `json:"dropScore"`
	MaxRecWidth   int      `json:"maxRecWidth"`
}

func (o ocrOptions) options() ocr.Options {
	th := func(p *float32) float32 {
		switch {
		case p == nil:
			return 0
		case *p == 0:
			return -1
		}
		return *p
	}
	return ocr.Options{LimitSideLen: o.LimitSideLen, LimitType: o.LimitType, Thresh: th(o.Thresh),
		BoxThresh: th(o.BoxThresh), UnclipRatio: o.UnclipRatio, MaxCandidates: o.MaxCandidates,
		LineTolerance: o.LineTolerance, ClsThresh: th(o.ClsThresh), DropScore: th(o.DropScore),
		MaxRecWidth: o.MaxRecWidth, Threads: 1}
}

func ocrLoad(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 4, "ocrLoad"); err != nil {
		return nil, err
	}
	det, err := bytesArg(args[0], "the detector")
	if err != nil {
		return nil, err
	}
	var cls []byte
	if t := args[1].Type(); t != js.TypeNull && t != js.TypeUndefined {
		if cls, err = bytesArg(args[1], "the classifier"); err != nil {
			return nil, err
		}
	}
	rec, err := bytesArg(args[2], "the recogniser")
	if err != nil {
		return nil, err
	}
	keys, err := bytesArg(args[3], "the dictionary")
	if err != nil {
		return nil, err
	}
	var o ocrOptions
	if len(args) > 4 && args[4].Type() == js.TypeString && args[4].String() != "" {
		if err := json.Unmarshal([]byte(args[4].String()), &o); err != nil {
			return nil, fmt.Errorf("options: %w", err)
		}
	}
	r, err := ocr.Load(det, cls, rec, keys, o.options())
	if err != nil {
		return nil, err
	}
	id := nextReaderID
	nextReaderID++
	readers[id] = &ocrReader{r: r}
	// The files (about 15 MB) and the importer's garbage: collect them now
	// rather than when the heap doubles.
	det, cls, rec = nil, nil, nil
	runtime.GC()
	return map[string]any{"id": id}, nil
}

func getReader(v js.Value) (*ocrReader, error) {
	if v.Type() != js.TypeNumber {
		return nil, fmt.Errorf("reader id must be a number")
	}
	r, ok := readers[v.Int()]
	if !ok {
		return nil, fmt.Errorf("OCR reader %d is not loaded (disposed?)", v.Int())
	}
	return r, nil
}

// ocrLine is one line of ocrRead's result, as `wasmnn ocr --json` prints it.
type ocrLine struct {
	Text  string        `json:"text"`
	Score float32       `json:"score"`
	Box   [4][2]float32 `json:"box"`
}

func ocrRead(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 4, "ocrRead"); err != nil {
		return nil, err
	}
	r, err := getReader(args[0])
	if err != nil {
		return nil, err
	}
	px := args[1]
	if px.Type() != js.TypeObject || !px.InstanceOf(uint8Array) {
		return nil, fmt.Errorf("pixels must be a Uint8Array")
	}
	if args[2].Type() != js.TypeNumber || args[3].Type() != js.TypeNumber {
		return nil, fmt.Errorf("width and height must be numbers")
	}
	n := px.Get("length").Int()
	if n > cap(r.pix) {
		r.pix = make([]byte, n)
	}
	r.pix = r.pix[:n]
	js.CopyBytesToGo(r.pix, px)
	lines, tm, err := r.r.ReadRGBA(context.Background(), r.pix, args[2].Int(), args[3].Int())
	// A read leaves garbage of several times the image's size (the
	// detector's input and output, crops, the recogniser's outputs) next to
	// a live heap of over 100 MB (the three models and their plans):
	// collected only when the heap doubles, it would grow the linear memory,
	// which never shrinks, by the size of the models. Collecting now keeps
	// the memory at the models plus one read, for a few milliseconds.
	runtime.GC()
	if err != nil {
		return nil, err
	}
	out := make([]ocrLine, len(lines))
	for i, l := range lines {
		out[i] = ocrLine{Text: l.Text, Score: l.Score, Box: l.Box}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return map[string]any{"lines": string(b), "detect": ms(tm.Detect), "classify": ms(tm.Classify),
		"recognize": ms(tm.Recognize), "boxes": tm.Boxes}, nil
}

func ocrDispose(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "ocrDispose"); err != nil {
		return nil, err
	}
	if _, err := getReader(args[0]); err != nil {
		return nil, err
	}
	delete(readers, args[0].Int())
	runtime.GC()
	return nil, nil
}
