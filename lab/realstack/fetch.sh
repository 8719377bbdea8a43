#!/usr/bin/env bash
# Fetches the real stack (Kafka 4.4.0 broker + Connect worker, Connect 3.9.1,
# Debezium plugins) from Maven Central into a cache outside the repo, once
# per machine; offline after. Versions are pinned in lab/realstack/maven/*/pom.xml.
#
#   scripts/realstack.sh fetch    # resolve what is missing (prints progress)
#   scripts/realstack.sh fetch kafka-4.4.0 ...   # only these components
#   scripts/realstack.sh check    # exit 0 when everything is fetched
#   scripts/realstack.sh dir      # print the cache directory
#
# This file is embedded in cdcops (lab/realstack) with the poms, so
# `cdcops lab up --real` fetches the same way outside a checkout.
# CDCOPS_REALSTACK_CACHE overrides the cache, CDCOPS_REALSTACK_POMS the poms.
#
# Layout: CACHE/<worker>/*.jar (kafka-4.4.0, connect-3.9.1) and
# CACHE/plugins/<plugin>/*.jar, so plugins/ is a Connect plugin.path.
# Each component is copied into a temp dir and renamed into place with a
# .fetched marker holding its pom's sha256: a half fetch is never taken as
# done, and a changed pom is fetched again.
set -euo pipefail
poms=${CDCOPS_REALSTACK_POMS:-$(cd "$(dirname "$0")" && pwd)/maven}
cache=${CDCOPS_REALSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdcops/realstack}
log() { echo "realstack: $*" >&2; }

dest_of() { # component -> its directory in the cache
  case $1 in
    debezium-*) echo "$cache/plugins/$1" ;;
    *) echo "$cache/$1" ;;
  esac
}
sum_of() { sha256sum "$poms/$1/pom.xml" | cut -d' ' -f1; }
fetched() { [ "$(cat "$(dest_of "$1")/.fetched" 2>/dev/null)" = "$(sum_of "$1")" ]; }
components() { for d in "$poms"/*/; do basename "$d"; done; }

fetch_one() {
  local c=$1 dest tmp n
  dest=$(dest_of "$c")
  tmp=$dest.tmp.$$
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest".tmp.*  # left by an interrupted fetch
  trap 'rm -rf "$tmp"' EXIT
  log "fetching $c (Maven Central) ..."
  if ! mvn -q -B -f "$poms/$c/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    tail -20 "$tmp.log" >&2
    rm -f "$tmp.log"
    log "fetch of $c failed (network? Maven Central reachable? see the lines above)"
    return 1
  fi
  rm -f "$tmp.log"
  # Debezium JDBC 3.5.0 bundles jackson-databind 2.19; on Connect 4.4 (Jackson
  # 2.21 + blackbird) its task fails with a ServiceConfigurationError.
  [ "$c" = debezium-connector-jdbc ] && rm -f "$tmp"/jackson-*.jar
  n=$(find "$tmp" -name '*.jar' | wc -l)
  [ "$n" -gt 0 ] || { log "fetch of $c gave no jars"; return 1; }
  sum_of "$c" >"$tmp/.fetched"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  log "fetched $c: $n jars, $(du -sh "$dest" | cut -f1) in $dest"
}

cmd=${1:-fetch}
shift || true
wanted() { if [ $# -gt 0 ]; then printf '%s\n' "$@"; else components; fi; }
case $cmd in
  dir) echo "$cache" ;;
  check)
    missing=0
    for c in $(components); do fetched "$c" || { log "not fetched: $c"; missing=1; }; done
    exit $missing ;;
  fetch)
    command -v mvn >/dev/null || { log "mvn not found: apt-get install -y maven"; exit 3; }
    command -v java >/dev/null || { log "java not found: apt-get install -y openjdk-17-jre-headless"; exit 3; }
    start=$(date +%s)
    todo=()
    for c in $(wanted "$@"); do
      [ -f "$poms/$c/pom.xml" ] || { log "no component $c (have: $(components | tr '\n' ' '))"; exit 2; }
      fetched "$c" || todo+=("$c")
    done
    if [ ${#todo[@]} -eq 0 ]; then log "all fetched in $cache"; exit 0; fi
    # Components resolve in parallel: a cold fetch is bound by Maven's
    # one-POM-at-a-time resolution, not by bandwidth. One that fails (two
    # writers of the same ~/.m2 file, say) is retried alone.
    log "fetching ${#todo[@]} components in parallel: ${todo[*]}"
    pids=()
    for c in "${todo[@]}"; do fetch_one "$c" & pids+=($!); done
    retry=()
    for i in "${!todo[@]}"; do wait "${pids[$i]}" || retry+=("${todo[$i]}"); done
    for c in ${retry[@]+"${retry[@]}"}; do
      log "retrying $c alone"
      fetch_one "$c" || exit 3
    done
    log "done in $(( $(date +%s) - start ))s: $cache" ;;
  *) echo "usage: $0 fetch|check|dir" >&2; exit 2 ;;
esac
