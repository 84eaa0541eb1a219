#!/usr/bin/env bash
# Benchmarks of issue 8: wall time and peak memory of normcheck against the libxml2 parse floor,
# xmllint --schematron and lxml's isoschematron, on synthetic declarations of 1 000 to 1 000 000
# facilities (normcheck-bench generate) and on a batch of 193 typical declarations.
#
#   bash Benchmarks/run.sh                 the full run (release build in .build-bench; about an hour)
#   bash Benchmarks/run.sh --smoke         tiny sizes, one run each, debug build: a few seconds once
#                                          built; fails if an engine breaks, a generated declaration is
#                                          not XSD-valid, or normcheck's findings differ from lxml's
#   options: --sizes "1000 10000"  --timeout SECONDS (default 120)  --out DIR  --work DIR
#            --bin DIR (prebuilt normcheck and normcheck-bench)  --only REGEX (cases to run)
#            --rules-tree (also run every pack in Rules/packs via NORMCHECK_RULES_DIR, including
#            packs not yet embedded in the binary)
#
# Results: DIR/results.tsv (one row per case and size), DIR/paired.json (the targets' cases in
# interleaved rounds), DIR/results.md (table and targets),
# DIR/machine.txt, DIR/findings.txt (normcheck vs lxml), logs in WORK/logs. See BENCHMARKS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

smoke=0
sizes=""
timeout_s=120
out=""
work=""
bin=""
only="."
rules_tree=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --sizes) sizes="$2"; shift ;;
    --timeout) timeout_s="$2"; shift ;;
    --out) out="$2"; shift ;;
    --work) work="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    --only) only="$2"; shift ;;
    --rules-tree) rules_tree=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  : "${sizes:=100 1000}"
  batch_count=20
  : "${out:=${TMPDIR:-/tmp}/normcheck-bench-smoke}"
  : "${work:=${TMPDIR:-/tmp}/normcheck-bench-smoke/work}"
else
  : "${sizes:=1000 10000 100000 1000000}"
  batch_count=193
  : "${out:=${TMPDIR:-/tmp}/normcheck-bench-results}"
  : "${work:=${TMPDIR:-/tmp}/normcheck-bench-work}"
fi
mkdir -p "$out" "$work/logs"
XSD="$ROOT/Rules/schema/declaration.xsd"
PACK="$ROOT/Benchmarks/shared-pack.sch"
EMPTY="$ROOT/Benchmarks/empty-pack.sch"
BENCH_PY="$ROOT/Benchmarks/bench.py"
failures=0
note() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; failures=$((failures + 1)); }

# ------------------------------------------------------------------------------------------ tools
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; })
  else
    return 1
  fi
}
command -v hyperfine >/dev/null || apt_install hyperfine || true
[ -x /usr/bin/time ] || apt_install time || true
command -v xmllint >/dev/null || apt_install libxml2-utils || true
python3 -c 'import lxml' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check lxml >/dev/null 2>&1 || true
have_hyperfine=0; command -v hyperfine >/dev/null && have_hyperfine=1
have_time=0; [ -x /usr/bin/time ] && have_time=1
command -v xmllint >/dev/null || { echo "run.sh: xmllint is required (apt-get install libxml2-utils)" >&2; exit 2; }
python3 -c 'import lxml' 2>/dev/null || { echo "run.sh: python3 lxml is required (pip install lxml)" >&2; exit 2; }
[ "$have_hyperfine" = 1 ] || note "hyperfine not available: one /usr/bin/time run per case"
[ "$have_time" = 1 ] || note "/usr/bin/time not available: wall time from bash, no peak memory"

# ------------------------------------------------------------------------------------------ build
if [ -z "$bin" ]; then
  if [ "$smoke" = 1 ]; then
    note "build (debug; CI has built it already)"
    swift build --product normcheck-bench >"$work/logs/build.log" 2>&1 &&
      swift build --product normcheck >>"$work/logs/build.log" 2>&1 || { tail -20 "$work/logs/build.log"; exit 2; }
    bin=$(swift build --show-bin-path)
  else
    # As a release is built (README, "Installing"): the Swift runtime linked in, which saves
    # the dynamic loading of its libraries at every start (about 8 ms).
    note "build (release, static Swift runtime, .build-bench)"
    : >"$work/logs/build.log"
    for product in normcheck normcheck-bench; do
      swift build -c release --static-swift-stdlib --scratch-path .build-bench --product "$product" \
        >>"$work/logs/build.log" 2>&1 || { tail -20 "$work/logs/build.log"; exit 2; }
    done
    bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-bench --show-bin-path)
  fi
fi
NC="$bin/normcheck"
GEN="$bin/normcheck-bench"
NC_OPTS=(--format json --max-input-size 1073741824)

# ---------------------------------------------------------------------------------------- machine
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "mode: $([ "$smoke" = 1 ] && echo smoke || echo full); sizes: $sizes; timeout: ${timeout_s} s"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "os: $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"
  echo "swift: $(swift --version 2>&1 | head -1)"
  echo "normcheck: $("$NC" --version 2>/dev/null || echo '?') ($NC)"
  echo "built-in packs: $("$NC" rules 2>/dev/null | grep -v '^ ' | sed 's/ —.*//' | tr '\n' ' ')"
  echo "libxml2 (xmllint): $(xmllint --version 2>&1 | head -1 | sed 's/.*version //')"
  echo "lxml: $(python3 -c 'import lxml.etree as e; print(".".join(map(str, e.LXML_VERSION)), "libxml2", ".".join(map(str, e.LIBXML_VERSION)), "libxslt", ".".join(map(str, e.LIBXSLT_VERSION)))')"
  echo "python: $(python3 --version 2>&1)"
  echo "hyperfine: $(hyperfine --version 2>/dev/null || echo 'not available')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"
cat "$out/machine.txt" >&2

# ----------------------------------------------------------------------------------------- inputs
note "generate and validate inputs in $work"
for n in $sizes; do
  f="$work/decl-$n.xml"
  "$GEN" generate --facilities "$n" --seed 1 --violations 0.001 --output "$f" 2>"$work/logs/generate-$n.txt" ||
    { cat "$work/logs/generate-$n.txt"; fail "generate $n"; continue; }
  cat "$work/logs/generate-$n.txt" >&2
  xmllint --noout --schema "$XSD" "$f" 2>"$work/logs/xsd-$n.txt" || { tail -3 "$work/logs/xsd-$n.txt"; fail "decl-$n.xml is not valid against the XSD"; }
done
rm -rf "$work/batch"
"$GEN" batch --count "$batch_count" --output "$work/batch" 2>"$work/logs/generate-batch.txt" || fail "generate batch"
cat "$work/logs/generate-batch.txt" >&2
batch_facilities=$(grep -o '[0-9]* facilities' "$work/logs/generate-batch.txt" | cut -d' ' -f1)
xmllint --noout --schema "$XSD" "$work"/batch/*.xml 2>"$work/logs/xsd-batch.txt" || { grep -v validates "$work/logs/xsd-batch.txt" | head -3; fail "batch: not valid against the XSD"; }
python3 "$BENCH_PY" split "$PACK" linear "$work/shared-linear.sch"
python3 "$BENCH_PY" split "$PACK" lookup "$work/shared-lookup.sch"
cp "$PACK" "$work/shared-all.sch"
for v in lookup all; do python3 "$BENCH_PY" keyed "$work/shared-$v.sch" "$work/shared-$v-keyed.sch"; done

# ------------------------------------------------------------------------------------ measurement
TSV="$out/results.tsv"
printf 'case\tsize\tstatus\tmean\tsd\tmin\truns\trss_kb\ttimeout\tload1\n' >"$TSV"
declare -A timed_out=()

# measure CASE SIZE OKCODES -- COMMAND...
#   One run under /usr/bin/time (peak RSS, exit status) and timeout; then, if it took less than
#   30 s and hyperfine is there, hyperfine for the mean and standard deviation.
measure() {
  local case=$1 size=$2 okcodes=$3; shift 4
  [[ "$case" =~ $only ]] || return 0
  local log="$work/logs/$case-$size"
  local load1; load1=$(cut -d' ' -f1 /proc/loadavg)
  if [ -n "${timed_out[$case]:-}" ]; then
    note "$case $size: skipped (timed out at ${timed_out[$case]})"
    printf '%s\t%s\ttimeout\t\t\t\t0\t\t%s\t%s\n' "$case" "$size" "$timeout_s" "$load1" >>"$TSV"
    return 0
  fi
  local status wall rss start end
  if [ "$have_time" = 1 ]; then
    /usr/bin/time -o "$log.time" -f '%e %M' timeout "$timeout_s" "$@" >"$log.out" 2>"$log.err"
    status=$?
    read -r wall rss < <(tail -1 "$log.time")
  else
    start=$(date +%s.%N)
    timeout "$timeout_s" "$@" >"$log.out" 2>"$log.err"
    status=$?
    end=$(date +%s.%N)
    wall=$(python3 -c "print(round($end - $start, 3))")
    rss=0
  fi
  if [ "$status" = 124 ]; then
    note "$case $size: timeout after $timeout_s s"
    timed_out[$case]=$size
    printf '%s\t%s\ttimeout\t\t\t\t0\t\t%s\t%s\n' "$case" "$size" "$timeout_s" "$load1" >>"$TSV"
    return 0
  fi
  if ! [[ " $okcodes " == *" $status "* ]]; then
    fail "$case $size: exit status $status (see $log.err)"
    tail -3 "$log.err" >&2
    printf '%s\t%s\texit-%s\t%s\t\t\t1\t%s\t%s\t%s\n' "$case" "$size" "$status" "$wall" "$rss" "$timeout_s" "$load1" >>"$TSV"
    return 0
  fi
  local mean=$wall sd="" min=$wall runs=1
  if [ "$smoke" = 0 ] && [ "$have_hyperfine" = 1 ] && python3 -c "import sys; sys.exit(0 if $wall < 30 else 1)"; then
    local n=3 warm=0
    python3 -c "import sys; sys.exit(0 if $wall < 5 else 1)" && { n=5; warm=1; }
    python3 -c "import sys; sys.exit(0 if $wall < 0.5 else 1)" && { n=10; warm=2; }
    local cmd; cmd=$(printf '%q ' "$@")
    if hyperfine -i --runs "$n" --warmup "$warm" --export-json "$log.hyperfine.json" "$cmd" >"$log.hyperfine.txt" 2>&1; then
      read -r mean sd min runs < <(python3 -c "
import json; r = json.load(open('$log.hyperfine.json'))['results'][0]
print('%.4f %.4f %.4f %d' % (r['mean'], r['stddev'] or 0, r['min'], len(r['times'])))")
    fi
  fi
  note "$case $size: $mean s (sd ${sd:-—}, n=$runs), peak ${rss} KB, load $load1"
  printf '%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$size" "$mean" "$sd" "$min" "$runs" "$rss" "$timeout_s" "$load1" >>"$TSV"
}

: >"$out/findings.txt"
compare_findings() { # SIZE VARIANT ORACLE(lxml|lxml-keys)
  local n=$1 v=$2 oracle=$3
  local ncj="$work/nc-$v-$n.json" lxj="$work/$oracle-$v-$n.json"
  [ -s "$ncj" ] || { echo "$v $n: normcheck did not finish" >>"$out/findings.txt"; return 0; }
  [ -s "$lxj" ] || { echo "$v $n vs $oracle: not compared ($oracle did not finish)" >>"$out/findings.txt"; return 0; }
  python3 "$BENCH_PY" normcheck-findings "$ncj" "$work/nc-$v-$n.findings.json"
  if python3 "$BENCH_PY" compare "$work/nc-$v-$n.findings.json" "$lxj" >"$work/logs/compare-$v-$n-$oracle.txt"; then
    echo "$v $n vs $oracle: $(head -1 "$work/logs/compare-$v-$n-$oracle.txt")" >>"$out/findings.txt"
  else
    echo "$v $n vs $oracle: $(cat "$work/logs/compare-$v-$n-$oracle.txt")" >>"$out/findings.txt"
    fail "$v $n: normcheck's findings differ from $oracle's"
  fi
}

for n in $sizes; do
  f="$work/decl-$n.xml"
  [ -f "$f" ] || continue
  note "size $n ($(stat -c %s "$f") bytes)"
  # (a) floors
  measure parse-floor-xmllint "$n" "0" -- xmllint --noout "$f"
  measure xsd-xmllint "$n" "0" -- xmllint --noout --schema "$XSD" "$f"
  measure normcheck-empty "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --no-xsd --pack "$EMPTY" --output /dev/null "$f"
  measure normcheck-xsd-only "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --pack "$EMPTY" --output /dev/null "$f"
  # (b) the product: XSD + all built-in packs
  measure normcheck-builtin "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --output /dev/null "$f"
  # The same on one thread (normcheck uses --jobs = the number of cores by default; xmllint and
  # lxml use one).
  measure normcheck-builtin-1thread "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --jobs 1 --output /dev/null "$f"
  measure normcheck-builtin-noxsd "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --no-xsd --output /dev/null "$f"
  if [ "$rules_tree" = 1 ]; then
    measure normcheck-rules-tree "$n" "0 1" -- env NORMCHECK_RULES_DIR="$ROOT/Rules" "$NC" check "${NC_OPTS[@]}" \
      --output /dev/null "$f"
  fi
  # (c) the shared pack, three engines
  for v in linear lookup all; do
    rm -f "$work/nc-$v-$n.json" "$work/lxml-$v-$n.json"
    measure "shared-$v-normcheck" "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --no-xsd --max-findings 1000000 \
      --max-eval-ops 0 --pack "$work/shared-$v.sch" --output "$work/nc-$v-$n.json" "$f"
    if [ "$v" != all ]; then
      measure "shared-$v-normcheck-1thread" "$n" "0 1" -- "$NC" check "${NC_OPTS[@]}" --jobs 1 --no-xsd \
        --max-findings 1000000 --max-eval-ops 0 --pack "$work/shared-$v.sch" --output /dev/null "$f"
    fi
    if [ "$v" = linear ]; then
      # xmllint --schematron has no let, no predicates in rule contexts and no current(): only
      # the linear phase compiles. Exit 3 = the document fails (expected: there are findings).
      measure "shared-$v-xmllint" "$n" "0 3" -- xmllint --noout --schematron "$work/shared-$v.sch" "$f"
    fi
    measure "shared-$v-lxml" "$n" "0" -- python3 "$BENCH_PY" lxml "$work/shared-$v.sch" "$f" --findings "$work/lxml-$v-$n.json"
    compare_findings "$n" "$v" lxml
    if [ "$v" != linear ]; then
      # The same pack with its lookups as xsl:key: lxml in linear time, the oracle where the
      # natural form times out (informational row, not a target).
      rm -f "$work/lxml-keys-$v-$n.json"
      measure "shared-$v-lxml-keys" "$n" "0" -- python3 "$BENCH_PY" lxml "$work/shared-$v-keyed.sch" "$f" \
        --findings "$work/lxml-keys-$v-$n.json"
      compare_findings "$n" "$v" lxml-keys
    fi
    if [ "$v" = linear ] && [ -f "$work/logs/shared-linear-xmllint-$n.err" ] && [ -s "$work/nc-linear-$n.json" ]; then
      echo "linear $n: xmllint --schematron reported $(python3 "$BENCH_PY" xmllint-count "$work/logs/shared-linear-xmllint-$n.err") failed asserts, normcheck $(python3 -c "import json; print(sum(len(f['findings']) for f in json.load(open('$work/nc-linear-$n.json'))['files']))") (xmllint prints empty attribute values in messages, so only counts are compared)" >>"$out/findings.txt"
    fi
  done
done
# (d) the targets' ratios, paired: the cases they compare in interleaved rounds at 100 000
# facilities (or the largest size asked for), so that each ratio compares runs seconds apart.
# bench.py report judges the time targets on these rounds; the table above keeps the sequential
# hyperfine series.
paired_size=100000
[[ " $sizes " == *" $paired_size "* ]] || paired_size=$(printf '%s\n' $sizes | sort -n | tail -1)
f="$work/decl-$paired_size.xml"
rm -f "$out/paired.json"
if [ -f "$f" ] && [[ "paired" =~ $only ]]; then
  spec="$work/paired-spec.tsv"
  q() { printf '%q ' "$@"; }
  {
    printf 'parse-floor-xmllint\t0\t%s\n' "$(q xmllint --noout "$f")"
    printf 'normcheck-builtin\t0 1\t%s\n' "$(q "$NC" check "${NC_OPTS[@]}" --output /dev/null "$f")"
    for v in linear lookup; do
      printf 'shared-%s-normcheck\t0 1\t%s\n' "$v" "$(q "$NC" check "${NC_OPTS[@]}" --no-xsd --max-findings 1000000 \
        --max-eval-ops 0 --pack "$work/shared-$v.sch" --output /dev/null "$f")"
    done
    printf 'shared-linear-xmllint\t0 3\t%s\n' "$(q xmllint --noout --schematron "$work/shared-linear.sch" "$f")"
    printf 'shared-linear-lxml\t0\t%s\n' "$(q python3 "$BENCH_PY" lxml "$work/shared-linear.sch" "$f")"
  } >"$spec"
  if [ "$smoke" = 1 ]; then rounds=(--rounds 2 --warmup 0); else rounds=(--rounds 20 --warmup 1); fi
  note "paired rounds at $paired_size facilities"
  python3 "$BENCH_PY" paired "$spec" "$out/paired.json" --size "$paired_size" "${rounds[@]}" ||
    fail "paired rounds: an engine failed (see above)"
fi

# (e) the batch
measure "batch-$batch_count" "${batch_facilities:-0}" "0 1" -- "$NC" check "${NC_OPTS[@]}" --jobs 2 --output /dev/null "$work/batch"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

python3 "$BENCH_PY" report "$TSV" --paired "$out/paired.json" >"$out/results.md"
echo
cat "$out/results.md"
echo
echo "Findings, normcheck vs lxml:"
cat "$out/findings.txt"
echo
echo "results: $out (results.tsv, results.md, machine.txt, findings.txt); logs: $work/logs"
if [ "$failures" -gt 0 ]; then
  echo "run.sh: $failures failure(s)" >&2
  exit 1
fi
