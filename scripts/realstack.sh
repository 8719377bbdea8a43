#!/usr/bin/env bash
# Fetches the real Kafka / Connect / Debezium jars into ~/.cache/cdcops/realstack
# (see lab/realstack/fetch.sh, which cdcops embeds).
exec "$(cd "$(dirname "$0")/.." && pwd)/lab/realstack/fetch.sh" "$@"
