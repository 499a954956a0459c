# wasmnn: `make demo` builds and serves the demo; `make test` runs every test.
GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
ADDR    ?= 127.0.0.1:8080
DIST    := js/dist
WASM    := $(DIST)/wasmnn.wasm

.PHONY: all build wasm test test-go bench demo clean vet

all: build wasm

build:
	$(GO) build -o bin/wasmnn ./cmd/wasmnn

wasm: $(WASM) $(DIST)/wasm_exec.js

$(WASM): $(shell find ops runtime wasm -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
	@mkdir -p $(DIST)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm

$(DIST)/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(DIST)
	cp $< $@

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

test-go: wasm
	WASMNN_WASM=$(CURDIR)/$(WASM) $(GO) test -count=1 -timeout 20m ./...

test: vet test-go

bench: build
	$(GO) test -run '^$$' -bench . -benchtime=5x ./ops/

demo: build
	./bin/wasmnn serve --addr $(ADDR) --dir demo

clean:
	rm -rf bin $(DIST) demo/lib
