# snnsim — see README.md. Every target works on a fresh clone.
GO      ?= go
# The AVX2 neuron kernel needs Go's SIMD experiment; the portable kernel gives the same
# results. `make test` checks both.
export GOEXPERIMENT ?= simd
BIN     := bin/snnsim
FUZZTIME ?= 10s

.PHONY: all build test test-portable lint bench fuzz-smoke demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/snnsim

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: lint
	$(GO) test -count=1 ./...
	$(MAKE) test-portable
	$(MAKE) fuzz-smoke FUZZTIME=3s

# The engine again without GOEXPERIMENT=simd: the portable kernel must give the same spikes
# (golden traces are shared by both builds).
test-portable:
	GOEXPERIMENT= $(GO) test -count=1 ./sim/ ./neuron/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/snnsim bench cuba
	$(GO) run ./cmd/snnsim bench coba

# Run every fuzz target for FUZZTIME each. A failing input fails the target at once (go
# test writes it to testdata/fuzz/); a failure of the fuzzing machinery itself (a worker
# that hangs on a loaded machine) is shown and retried once.
fuzz-smoke:
	@set -e; log=$$(mktemp); for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    for try in 1 2; do \
	      if $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then break; fi; \
	      cat $$log; \
	      if grep -q 'Failing input written' $$log || [ $$try = 2 ]; then rm -f $$log; exit 1; fi; \
	      echo "fuzz $$pkg $$f: no failing input; retrying once"; \
	    done; \
	  done; \
	done; rm -f $$log

demo: build
	@mkdir -p out
	./$(BIN) run examples/demo.yaml --duration 1s --seed 1 --record out/demo.npz --plot out/demo.png
	./$(BIN) bench cuba --duration 1s
	@echo "wrote out/demo.npz (spike trace) and out/demo.png (raster + rate)"

clean:
	rm -rf bin out
