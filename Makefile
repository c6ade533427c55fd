# scalelab: `make demo` runs the demo, `make test` every check CI runs.
GO      ?= go
BIN     := bin/scalelab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test fmt-check vet bench bench-go bench-peers bench-ui demo clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: fmt-check vet
	$(GO) test -race -count=1 ./...

# Benchmarks: Go micro-benchmarks, then scalelab against wrk and nginx,
# then the terminal UI's cost in throughput (UI in tmux vs headless).
bench: bench-go bench-peers bench-ui

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-peers: build
	bash bench/peers.sh

bench-ui: build
	bash bench/ui.sh

# For now: a short open-loop run against a loopback demo server.
demo: build
	@$(GO) build -o bin/demoserver ./internal/demoserver
	@bin/demoserver --listen 127.0.0.1:18090 & pid=$$!; trap "kill $$pid" EXIT; sleep 0.5; \
	$(BIN) load http://127.0.0.1:18090/ --stages 3s:200,5s:2000,2s:0

clean:
	rm -rf bin
