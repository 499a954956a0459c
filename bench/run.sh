#!/usr/bin/env bash
# bench/run.sh: `make bench`. Builds wasmnn, writes the benchmark suite,
# measures it side by side on every runtime, and writes
#   bench/results.json   all results ([]Result of internal/bench)
#   bench/table.md       the Markdown table, the algorithm comparison and the targets
# (bench/suite/, about 1.5 GB of models, and bench/results-*.json are
# intermediate files; none of them is committed).
#
# Runtimes: native Go (1 thread and all threads) and wazero (bin/wasmnn
# bench), Node (bench/run-node.mjs: wasmnn with and without SIMD,
# TensorFlow.js and ONNX Runtime Web wasm backends), headless Chromium
# (bench/run-chromium.mjs: the same with SIMD).
#
# Environment:
#   REPS=7          timed runs per layer case (the median is reported); WARMUP=2 untimed runs first
#   MODEL_REPS=7    timed runs per whole-model case; MODEL_WARMUP=3 (V8 needs a few runs to tier up a large module)
#   MAX_SECONDS=20  JS runners stop a case after 3 runs once it has taken this long
#   FILTER=a,b      only the cases whose name contains one of these
#   CHROMIUM_BENCH=0  skip the Chromium runs
#   THREADS_BENCH=0   skip the 2-thread runs of the models (issue 17)
#   OCR_BENCH=0     skip the OCR pipeline bench (bench/ocr-node.mjs, bench/ocr-chromium.mjs: wasmnn.ocr
#                   against @gutenye/ocr-common on ONNX Runtime Web, whole page, per stage)
#   TRAIN_BENCH=0   skip the training-speed bench (bench/train-speed.mjs: LeNet-5, batch 32, images/s natively on one
#                   thread, in Node and in Chromium with wasmnn.train)
#   ALGOS=im2col,winograd2,winograd4  algorithms compared on ResNet-18's 3x3 stride-1 layers (empty: skip)
#   REPORT_ONLY=1   measure nothing: rebuild results.json and table.md from the bench/results-*.json there are
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-7}
WARMUP=${WARMUP:-2}
MODEL_REPS=${MODEL_REPS:-7}
MODEL_WARMUP=${MODEL_WARMUP:-3}
MAX_SECONDS=${MAX_SECONDS:-20}
FILTER=${FILTER:-}
CHROMIUM_BENCH=${CHROMIUM_BENCH:-1}
THREADS_BENCH=${THREADS_BENCH:-1}
OCR_BENCH=${OCR_BENCH:-1}
TRAIN_BENCH=${TRAIN_BENCH:-1}
ALGOS=${ALGOS-im2col,winograd2,winograd4}
REPORT_ONLY=${REPORT_ONLY:-0}
WASM=js/dist/wasmnn.wasm
SUITE=bench/suite
OUT=bench

log() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
start=$(date +%s)

if [ "$REPORT_ONLY" = 0 ] || [ ! -x bin/wasmnn ]; then
	log "build"
	make build wasm
fi
if [ ! -d node_modules/@tensorflow/tfjs-backend-wasm ] || [ ! -d node_modules/onnxruntime-web ]; then
	npm ci --no-audit --no-fund
fi

if [ "$REPORT_ONLY" = 0 ] || [ ! -f "$SUITE/index.json" ]; then
	log "write the suite to $SUITE"
	rm -rf "$SUITE"
	bin/wasmnn bench --write-suite "$SUITE" ${FILTER:+--filter "$FILTER"}
	# Cases converted from an ONNX file (the OCR models) run that file on the
	# ONNX runtimes; the others run the .wnn exported to ONNX.
	node -e '
		const idx = require(process.argv[1]);
		for (const e of idx) console.log(e.file + "\t" + (e.onnx || ""));' "$PWD/$SUITE/index.json" |
	while IFS=$'\t' read -r f src; do
		if [ -n "$src" ]; then
			cp "$src" "$SUITE/${f%.wnn}.onnx"
		else
			bin/wasmnn export "$SUITE/$f" -o "$SUITE/${f%.wnn}.onnx" >/dev/null
		fi
	done
fi
# The suite's case names, as comma lists of layers and of whole models.
names() { node -e '
	const idx = require(process.argv[1]);
	console.log(idx.filter((e) => e.group === process.argv[2]).map((e) => e.name).join(","));' "$PWD/$SUITE/index.json" "$1"; }
LAYERS=$(names layer)
MODELS=$(names model)
ALL=$(node -e 'console.log(require(process.argv[1]).map((e) => e.name).join(","))' "$PWD/$SUITE/index.json")

if [ "$REPORT_ONLY" = 0 ]; then
rm -f "$OUT"/results-*.json "$OUT"/results-*.info.json
if [ -n "$LAYERS" ]; then
	log "native and wazero: layers"
	bin/wasmnn bench --wasm "$WASM" --reps "$REPS" --warmup "$WARMUP" --filter "$LAYERS" --json "$OUT/results-go-layers.json" >&2
fi
if [ -n "$MODELS" ]; then
	log "native and wazero: models"
	bin/wasmnn bench --wasm "$WASM" --reps "$MODEL_REPS" --warmup "$MODEL_WARMUP" --filter "$MODELS" --json "$OUT/results-go-models.json" >&2
fi

jsopts=(--suite "$SUITE" --reps "$REPS" --warmup "$WARMUP" --model-reps "$MODEL_REPS" --model-warmup "$MODEL_WARMUP" --max-seconds "$MAX_SECONDS")
log "Node: wasmnn (SIMD on and off), tfjs-wasm, ort-web"
node bench/run-node.mjs "${jsopts[@]}" --out "$OUT/results-node.json"

# tfjs without SIMD, for issue 4's pure-Go target: ResNet-18 and its 3x3 layers only.
nosimd=$(node -e 'console.log(process.argv[1].split(",").filter((n) => n === "model/resnet18" || n.startsWith("resnet18/3x3")).join(","))' "$ALL")
if [ -n "$nosimd" ]; then
	log "Node: tfjs-wasm without SIMD"
	node bench/run-node.mjs "${jsopts[@]}" --runtimes tfjs-wasm-nosimd --filter "$nosimd" --out "$OUT/results-node-nosimd.json"
fi

if [ "$CHROMIUM_BENCH" != 0 ]; then
	log "Chromium: wasmnn (SIMD), tfjs-wasm, ort-web"
	node bench/run-chromium.mjs "${jsopts[@]}" --out "$OUT/results-chromium.json"
fi

# Threads (issue 17): the whole models on 2 threads beside 1, wasmnn and ort-web, Node and Chromium.
if [ "$THREADS_BENCH" != 0 ] && [ -n "$MODELS" ]; then
	log "threads: models on 1 and 2 threads, wasmnn and ort-web, Node"
	node bench/run-node.mjs "${jsopts[@]}" --runtimes node-simd,node-simd-2t,ort-web,ort-web-2t --filter "$MODELS" \
		--out "$OUT/results-threads-node.json"
	if [ "$CHROMIUM_BENCH" != 0 ]; then
		log "threads: Chromium"
		node bench/run-chromium.mjs "${jsopts[@]}" --runtimes chromium-simd,chromium-simd-2t,chromium-ort-web,chromium-ort-web-2t \
			--filter "$MODELS" --out "$OUT/results-threads-chromium.json"
	fi
fi

s1=$(node -e 'console.log(process.argv[1].split(",").filter((n) => n.startsWith("resnet18/3x3_")).join(","))' "$ALL")
if [ -n "$ALGOS" ] && [ -n "$s1" ]; then
	log "algorithms on ResNet-18's 3x3 stride-1 layers: $ALGOS"
	node bench/run-node.mjs "${jsopts[@]}" --runtimes node-simd,node --algos "$ALGOS" --filter "$s1" --out "$OUT/results-algo-node.json"
	for a in ${ALGOS//,/ }; do
		bin/wasmnn bench --native=false --wasm "$WASM" --algo "$a" --reps "$REPS" --warmup "$WARMUP" --filter "$s1" \
			--json "$OUT/results-algo-wazero-$a.json" >&2
	done
fi

if [ "$OCR_BENCH" != 0 ]; then
	log "OCR pipeline: wasmnn.ocr and @gutenye/ocr-common on ort-web, Node"
	node bench/ocr-node.mjs --reps "$MODEL_REPS" --warmup 2 --out "$OUT/results-ocr-node.json"
	if [ "$CHROMIUM_BENCH" != 0 ]; then
		log "OCR pipeline: Chromium"
		node bench/ocr-chromium.mjs --reps "$MODEL_REPS" --warmup 2 --out "$OUT/results-ocr-chromium.json"
	fi
fi

if [ "$TRAIN_BENCH" != 0 ]; then
	log "training speed: LeNet-5, batch 32, native 1 thread, Node and Chromium (wasmnn.train)"
	trainrt=native,node
	if [ "$CHROMIUM_BENCH" != 0 ]; then trainrt+=,chromium; fi
	node bench/train-speed.mjs --runtimes "$trainrt" --out "$OUT/results-train.json"
fi
fi

log "merge"
merge=()
for f in go-layers go-models node node-nosimd chromium; do
	if [ -f "$OUT/results-$f.json" ]; then merge+=("$OUT/results-$f.json"); fi
done
algo=()
for f in "$OUT"/results-algo-node.json "$OUT"/results-algo-wazero-*.json; do
	if [ -f "$f" ]; then algo+=("$f"); fi
done
node -e '
	const fs = require("fs");
	const all = process.argv.slice(2).flatMap((f) => JSON.parse(fs.readFileSync(f, "utf8")) || []);
	fs.writeFileSync(process.argv[1], JSON.stringify(all, null, 2) + "\n");' "$OUT/results-algo.json" ${algo[@]+"${algo[@]}"}
{
	echo "<!-- written by bench/run.sh on $(date -u +%Y-%m-%dT%H:%MZ): REPS=$REPS MODEL_REPS=$MODEL_REPS -->"
	bin/wasmnn bench --native=false --filter "$ALL" --merge "$(IFS=,; echo "${merge[*]}")" --json "$OUT/results.json"
	echo
	node bench/report.mjs --results "$OUT/results.json" --algo "$OUT/results-algo.json" --simd-wasm js/dist/wasmnn-simd.wasm
	for f in "$OUT"/results-ocr-node.json "$OUT"/results-ocr-chromium.json; do
		if [ -f "$f" ]; then printf '\n%s\n\n' "OCR pipeline ($f)"; node -e 'console.log(require(process.argv[1]).table)' "$PWD/$f"; fi
	done
	if [ -f "$OUT/results-train.json" ]; then
		printf '\n%s\n\n' "Training speed ($OUT/results-train.json)"
		node -e 'console.log(require(process.argv[1]).table)' "$PWD/$OUT/results-train.json"
	fi
} >"$OUT/table.md"
cat "$OUT/table.md"
log "done in $(( $(date +%s) - start )) s: $OUT/results.json, $OUT/table.md"
