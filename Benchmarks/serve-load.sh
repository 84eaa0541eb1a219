#!/usr/bin/env bash
# Load test of `normcheck serve` (issue 9) with wrk on loopback: a fixed mix of valid, invalid and
# hostile declarations (Samples/, Tests/HostileCorpus/inputs/, two generated bombs and one upload
# over --max-body), bounded in time and connections. Fails if the server answers any 5xx, stops
# answering, crashes, or does not exit 0 on SIGTERM afterwards.
#
#   bash Benchmarks/serve-load.sh                      30 s, 2 threads, 16 connections, release build
#   bash Benchmarks/serve-load.sh --smoke              5 s, 2 threads, 8 connections (what CI runs)
#   options: --duration SECONDS  --threads N  --connections N  --jobs N (server --jobs, default 2)
#            --bin PATH (a built normcheck; default: swift build -c release into .build-bench)
#            --record (write the results into Benchmarks/SERVE.md, section "normcheck serve under load")
#
# Needs wrk (apt-get install wrk) and curl. Prints a RESULT line and a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

duration=30
threads=2
connections=16
jobs=2
bin=""
record=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) duration=5; connections=8; shift ;;
    --duration) duration=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --record) record=1; shift ;;
    *) echo "serve-load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "serve-load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [ -z "$bin" ]; then
  swift build -c release --product normcheck --scratch-path .build-bench 2>&1 | tail -n 1
  bin="$ROOT/.build-bench/release/normcheck"
fi
[ -x "$bin" ] || { echo "serve-load.sh: no normcheck binary at $bin" >&2; exit 2; }

work=$(mktemp -d /tmp/normcheck-serve-load.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Two generated bombs and one document over the 1 MiB body limit.
python3 - "$work" <<'EOF'
import sys
work = sys.argv[1]
open(f"{work}/deep-100k.xml", "w").write("<declaration>" + "<a>" * 100_000)
open(f"{work}/quadratic.xml", "w").write(
    '<!DOCTYPE d [<!ENTITY e "' + "x" * 100_000 + '">]><d>' + "&e;" * 5_000 + "</d>")
open(f"{work}/oversized.xml", "w").write("<declaration>" + "<!-- padding -->" * 80_000 + "</declaration>")
EOF

# The mix: one line per request kind, cycled through by every connection.
mix="$work/mix.txt"
{
  for sample in xa-arvenia-2026-model xb-belmora-2025-no-cert xc-corvala-2026-diplomatic-only \
    xd-dravonia-2025-doctrine-conflict xe-estmark-2025-stale xe-estmark-2026-later-cycle; do
    echo "json $ROOT/Samples/$sample.xml"
  done
  echo "html $ROOT/Samples/xd-dravonia-2025-doctrine-conflict.xml"
  echo "sarif $ROOT/Samples/xb-belmora-2025-no-cert.xml"
  echo "multipart $ROOT/Samples/xe-estmark-2025-stale.xml"
  echo "json $ROOT/Samples/xf-ferrovia-2026-large.xml"
  echo "json $ROOT/Samples/xg-galdria-2025-malformed.xml"
  echo "json $ROOT/Samples/xh-hollenmark-2025-schema-invalid.xml"
  echo "json $ROOT/Tests/HostileCorpus/inputs/empty.xml"
  for hostile in billion-laughs billion-laughs-attribute binary-garbage xxe-local-file xxe-http \
    external-dtd parameter-entity invalid-utf8 truncated utf16le-nobom; do
    echo "json $ROOT/Tests/HostileCorpus/inputs/$hostile.xml"
  done
  echo "json $work/deep-100k.xml"
  echo "json $work/quadratic.xml"
  echo "json $work/oversized.xml"
} > "$mix"
valid=10; invalid=3; hostile=12; oversized=1

# The server: --queue above the connection count, so that overload (503) is not what is measured.
"$bin" serve --port 0 --jobs "$jobs" --queue $((connections * 2)) --max-body 1MiB \
  > "$work/server.out" 2> "$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -o '"port":"[0-9]*"' "$work/server.log" 2>/dev/null | head -1 | grep -o '[0-9]*' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "serve-load.sh: the server did not start"; cat "$work/server.log"; exit 1; }
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null

# Peak RSS: the kernel's high-water mark of the server process (VmHWM), read after the run.
SERVE_LOAD_MIX="$mix" wrk --threads "$threads" --connections "$connections" --duration "${duration}s" \
  --timeout 30s --latency --script "$ROOT/Benchmarks/serve-load.lua" "http://127.0.0.1:$port" > "$work/wrk.txt"
alive=1
kill -0 "$server_pid" 2>/dev/null || alive=0
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
kill -TERM "$server_pid"
set +e
wait "$server_pid"
exit_code=$?
set -e
server_pid=""

result=$(grep '^RESULT ' "$work/wrk.txt" || true)
[ -n "$result" ] || { echo "serve-load.sh: wrk printed no RESULT line"; cat "$work/wrk.txt"; exit 1; }
echo "$result"
field() { echo "$result" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
s5xx=$(field s5xx)
errors=$(( $(field connect_errors) + $(field read_errors) + $(field write_errors) + $(field timeouts) ))
server_errors=$(grep -c '"level":"\(error\|critical\)"' "$work/server.log" || true)
stopped=$(grep -c '"message":"stopped"' "$work/server.log" || true)

machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(uname -sr)"
table=$(cat <<EOF
| measure | value |
|---|---|
| date | $(date -u +%Y-%m-%d) |
| machine | $machine |
| binary | \`$(basename "$(dirname "$bin")")\` build, \`normcheck serve --jobs $jobs --queue $((connections * 2)) --max-body 1MiB\` |
| load | wrk, ${duration} s, $threads threads, $connections connections, loopback |
| mix | $((valid + invalid + hostile + oversized)) request kinds, cycled: $valid valid (JSON, HTML, SARIF, a multipart upload, the 395 kB declaration), $invalid invalid (malformed, XSD-invalid, empty), $hostile hostile (XXE, billion laughs, 100 000-deep nesting, quadratic blow-up, binary, bad encodings), $oversized over --max-body |
| requests | $(field requests) |
| throughput | $(field rps) requests/s |
| latency p50 / p90 / p99 / max | $(field p50_ms) / $(field p90_ms) / $(field p99_ms) / $(field max_ms) ms |
| answers | $(field s2xx) 2xx, $(field s4xx) 4xx (of them $(field s413) 413), **$(field s5xx) 5xx**, $(field other) other |
| socket errors and timeouts | $errors |
| peak RSS of the server | $((peak_kib / 1024)) MiB |
| after the run | /healthz $health; error log lines $server_errors; SIGTERM exit code $exit_code ("stopped" logged: $stopped) |
EOF
)
echo
echo "$table"

if [ "$record" = 1 ]; then
  python3 - "$ROOT/Benchmarks/SERVE.md" "$table" <<'EOF'
import sys, re
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
marker_start, marker_end = "<!-- serve-load:start -->", "<!-- serve-load:end -->"
block = f"{marker_start}\n{table}\n{marker_end}"
text = re.sub(re.escape(marker_start) + r".*?" + re.escape(marker_end), lambda _: block, text, flags=re.S)
open(path, "w").write(text)
EOF
  echo "recorded in Benchmarks/SERVE.md"
fi

status=0
[ "$s5xx" = 0 ] || { echo "FAIL: $s5xx responses were 5xx"; status=1; }
[ "$alive" = 1 ] || { echo "FAIL: the server died under load"; status=1; }
[ "$health" = 200 ] || { echo "FAIL: /healthz answered $health after the run"; status=1; }
[ "$errors" = 0 ] || { echo "FAIL: $errors socket errors or timeouts"; status=1; }
[ "$exit_code" = 0 ] || { echo "FAIL: the server exited $exit_code on SIGTERM"; status=1; }
[ "$stopped" = 1 ] || { echo "FAIL: no 'stopped' log line after SIGTERM"; status=1; }
[ "$(field s2xx)" -gt 0 ] || { echo "FAIL: no successful request"; status=1; }
exit $status
