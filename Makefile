# scalelab: `make demo` runs the demo, `make test` every check CI runs.
GO      ?= go
BIN     := bin/scalelab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/scalelab/scalelab/cli.version=$(VERSION)

.PHONY: all build test fmt-check vet bench bench-go bench-peers bench-ui bench-soak fuzz demo clean k8s-controlplane k8s-e2e

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: fmt-check vet
	$(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory k8s-e2e

# Benchmarks: Go micro-benchmarks, then scalelab against wrk and nginx,
# then the terminal UI's cost in throughput (UI in tmux vs headless).
bench: bench-go bench-peers bench-ui

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-peers: build
	bash bench/peers.sh

bench-ui: build
	bash bench/ui.sh

# The 10-minute memory soak at 100,000 req/s (not part of bench: it takes
# ten minutes); MINUTES=2 for a shorter one.
bench-soak: build
	bash bench/soak.sh

# Kubernetes end-to-end tests on a real etcd, kube-apiserver and
# kube-controller-manager (built once into ~/.cache/scalelab, reused after),
# run inside a private network namespace whose only interface is lo, with the
# pod range 10.244.0.0/24 on it. Needs root, etcd-server and iproute2. The
# test binary and bin/scalelab (which the CLI proofs run) are compiled
# outside (modules can be fetched there).
K8S_E2E_TEST := bin/k8s-e2e.test

k8s-controlplane:
	bash k8s/e2e/build-controlplane.sh

k8s-e2e: build
	@cp=$$(bash k8s/e2e/build-controlplane.sh) && \
	$(GO) test -c -race -tags k8se2e -o $(K8S_E2E_TEST) ./k8s/e2e && \
	cd k8s/e2e && SCALELAB_K8S_BIN=$$cp SCALELAB_BIN=$(CURDIR)/$(BIN) unshare -n sh -c \
	  'ip link set lo up && ip addr add 10.244.0.0/24 dev lo && exec ../../$(K8S_E2E_TEST) -test.v -test.count=1'

# Fuzz the recordings reader (make test runs its seed corpus).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./recordings

# The interactive demo: the terminal UI on a local fleet, with a few
# scripted steps to start the story; the keys do the rest, q quits.
demo: build
	$(BIN) demo --step 5s:scale=5 --step 12s:upgrade=v2 --step 22s:kill=1

clean:
	rm -rf bin
