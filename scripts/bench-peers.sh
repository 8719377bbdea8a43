#!/usr/bin/env bash
# Installs the reconcile peers for `make bench` — reladiff (PyPI, with its
# PostgreSQL and MySQL drivers) in a virtualenv under ~/.cache/cdcops, and
# pg_comparator (Debian postgresql-comparator, CREATE EXTENSION pgcmp in
# the bench database) — then runs BenchmarkPeers. A peer that cannot be
# installed is skipped with a message; the benchmark still runs cdcops.
set -u
venv="$HOME/.cache/cdcops/bench-venv"
if [ ! -x "$venv/bin/reladiff" ]; then
  if python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q 'reladiff[postgresql,mysql]' >/dev/null 2>&1; then
    echo "bench-peers: reladiff installed in $venv"
  else
    echo "bench-peers: reladiff not installable here (python3 -m venv / pip failed); skipping it"
  fi
fi
if ! command -v pg_comparator >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && { apt-get install -y -qq postgresql-comparator >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql-comparator >/dev/null 2>&1; }; }; then
    echo "bench-peers: pg_comparator installed"
  else
    echo "bench-peers: pg_comparator not installable here (apt-get install postgresql-comparator failed); skipping it"
  fi
fi
if command -v pg_comparator >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'cdcops_bench'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE cdcops_bench"
  psql -h 127.0.0.1 -U postgres -d cdcops_bench -qc "CREATE EXTENSION IF NOT EXISTS pgcmp" ||
    echo "bench-peers: CREATE EXTENSION pgcmp failed; pg_comparator will fail"
fi
export CDCOPS_BENCH_PEERS=1
cd "$(dirname "$0")/../reconcile" && exec go test -run '^$' -bench 'BenchmarkPeers' -benchtime 1x -timeout 90m .
