GO ?= go
BIN := bin/cdcops

.PHONY: build demo test services realstack realstack-if-tools check bench idle-cpu fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/cdcops

# The main job on an embedded lab: no outside services needed.
demo:
	$(GO) run ./cmd/cdcops lab demo

# Installs/starts PostgreSQL, MariaDB and kcat when missing (see scripts/services.sh).
services:
	@scripts/services.sh

# Fetches the real Kafka 4.4 / Connect 3.9 / Debezium jars (Maven, once per
# machine) into ~/.cache/cdcops/realstack; see docs/lab.md "Real stack".
realstack:
	@scripts/realstack.sh fetch

# `make test` fetches when Java and Maven exist, so a clean clone runs the
# real-stack tests; without them those tests skip (fail when CI is set).
realstack-if-tools:
	@if command -v java >/dev/null && command -v mvn >/dev/null; then scripts/realstack.sh fetch; \
	else echo "realstack: java or mvn missing; real-stack tests will skip (fail with CI set)" >&2; fi

check:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...

# -race on everything: the lab worker, reconcile's paired producers, --pairs
# and the MySQL query killer are concurrent, and the rest costs little more.
test: services realstack-if-tools check
	$(GO) test -race -count=1 -timeout 40m ./...

# Benchmarks print their own figures and ratios; they may take minutes.
bench: services
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...
	bash scripts/bench-peers.sh

# Idle CPU of `cdcops serve` over 30 s (budget < 1%; docs/monitoring.md).
idle-cpu:
	scripts/serve-idle-cpu.sh 30 30s

FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseOffsetKey -fuzztime $(FUZZTIME) ./connectjson
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./vault/snapfile
	$(GO) test -run '^$$' -fuzz '^FuzzKeyNamespace$$' -fuzztime $(FUZZTIME) ./kafka

clean:
	rm -rf bin .cdcops
