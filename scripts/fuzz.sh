#!/bin/sh
# fuzz.sh runs every fuzz target of wasmnn for FUZZTIME each (default 30s),
# one at a time with -parallel 1 (so the machine stays usable), and prints a
# summary line per target. Crashers are written by go test under the
# package's testdata/fuzz/<Target>/; commit them as regression seeds.
#
#   scripts/fuzz.sh                      # every target, 30s each
#   FUZZTIME=5m scripts/fuzz.sh          # longer
#   scripts/fuzz.sh FuzzLoad FuzzRun     # only these targets
#
# The wasm targets (wasm/fuzz) use WASMNN_WASM if set, else build the module.
#
# FUZZMINIMIZETIME (default 100x) bounds how long go test minimises each new
# interesting input: with the default of 60s, minimising one large input can
# take a target's whole FUZZTIME and the run fuzzes nothing.
set -u
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-100x}
GO=${GO:-go}
LOG=${FUZZLOG:-$(mktemp -d)}
mkdir -p "$LOG"

if [ -z "${WASMNN_WASM:-}" ]; then
	GOOS=js GOARCH=wasm $GO build -trimpath -o "$LOG/wasmnn.wasm" ./wasm || exit 1
	WASMNN_WASM=$LOG/wasmnn.wasm
	export WASMNN_WASM
fi

# package target
TARGETS='
./runtime/internal/format FuzzDecode
./internal/npy FuzzRead
./runtime/imageprep FuzzDecodeToTensor
./cmd/wasmnn FuzzClassifyImage
./runtime/onnx FuzzImport
./runtime/onnx FuzzImportAndRun
./runtime FuzzDynamicShapes
./wasm/fuzz FuzzLoad
./wasm/fuzz FuzzRun
'

printf '%s\n' "$TARGETS" | while read -r pkg target; do
	[ -z "$pkg" ] && continue
	if [ $# -gt 0 ]; then
		found=0
		for w in "$@"; do [ "$w" = "$target" ] && found=1; done
		[ $found -eq 0 ] && continue
	fi
	out="$LOG/$target.log"
	$GO test "$pkg" -run "^$target\$" -fuzz "^$target\$" -fuzztime "$FUZZTIME" \
		-fuzzminimizetime "$FUZZMINIMIZETIME" -parallel 1 >"$out" 2>&1
	rc=$?
	# The last progress line has the totals: "fuzz: elapsed: 30s, execs: N (r/sec), new interesting: K (total: T)".
	last=$(grep 'fuzz: elapsed' "$out" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok    $pkg $target: ${last#fuzz: }"
	elif ! grep -q 'Failing input' "$out" && [ "$(grep -c -v -E '^(fuzz: |--- FAIL: |    context deadline exceeded$|FAIL|exit status 1$)' "$out")" -eq 0 ]; then
		# Go's coordinator can report its own -fuzztime deadline as a
		# failure (golang/go#75804, fixed in Go 1.27): no input failed.
		echo "ok    $pkg $target: ${last#fuzz: } (ignored go#75804 'context deadline exceeded' at the end)"
	else
		echo "FAIL  $pkg $target (log $out):"
		grep -E -- '--- FAIL|Failing input|testdata/fuzz|panic:|fuzz_test.go|_test.go:[0-9]+' "$out" | head -n 20
		touch "$LOG/failed"
	fi
done
[ -f "$LOG/failed" ] && { echo "logs in $LOG"; exit 1; }
echo "logs in $LOG"
