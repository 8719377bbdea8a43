GO ?= go
BIN := bin/cdcops

.PHONY: build demo test services check bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/cdcops

# The main job on an embedded lab: no outside services needed.
demo:
	$(GO) run ./cmd/cdcops lab demo

# Installs/starts PostgreSQL, MariaDB and kcat when missing (see scripts/services.sh).
services:
	@scripts/services.sh

check:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...

test: services check
	$(GO) test -count=1 -timeout 20m ./...

# Benchmarks print their own figures and ratios; they may take minutes.
bench: services
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...
	bash scripts/bench-peers.sh

FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseOffsetKey -fuzztime $(FUZZTIME) ./connectjson
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./vault/snapfile
	$(GO) test -run '^$$' -fuzz '^FuzzKeyNamespace$$' -fuzztime $(FUZZTIME) ./kafka

clean:
	rm -rf bin .cdcops
