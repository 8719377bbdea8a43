#!/usr/bin/env bash
# Measures the idle CPU of `cdcops serve`: starts a lab with its demo
# pipeline (another process), then `cdcops serve` against it, and reads
# utime+stime of the serve process from /proc/<pid>/stat over 30 s (after
# a warm-up), at the default 30 s interval, so one evaluation cycle falls
# in the window. Budget: < 1% of one core.
#   scripts/serve-idle-cpu.sh [SECONDS] [INTERVAL]
set -euo pipefail
secs=${1:-30}
interval=${2:-30s}
dir=$(mktemp -d)
cleanup() {
	[ -n "${serve:-}" ] && kill "$serve" 2>/dev/null || true
	[ -n "${labpid:-}" ] && kill "$labpid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/cdcops" ./cmd/cdcops
"$dir/cdcops" lab up --kafka 127.0.0.1:0 --connect 127.0.0.1:0 --pipeline --dir "$dir/lab" -o json >"$dir/lab.json" 2>"$dir/lab.log" &
labpid=$!
for _ in $(seq 100); do grep -q '"connect"' "$dir/lab.json" 2>/dev/null && break; sleep 0.2; done
connect=$(sed -n 's/.*"connect": "\(.*\)".*/\1/p' "$dir/lab.json")
kafka=$(sed -n 's/.*"kafka": "\(.*\)".*/\1/p' "$dir/lab.json")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$dir/cdcops" serve --connect "$connect" --bootstrap "$kafka" --listen "127.0.0.1:$port" --interval "$interval" 2>"$dir/serve.log" &
serve=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
sleep 2 # warm-up after the first cycle
ticks() { awk '{print $14 + $15}' "/proc/$serve/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
curl -sf "http://127.0.0.1:$port/metrics" | grep -c '^cdcops_' | sed 's/^/metrics series: /'
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "cdcops serve: %d ticks in %ds = %.3f%% of one core (budget < 1%%)\n", d, s, 100 * d / (hz * s) }'
