#!/usr/bin/env bash
# Runs one libFuzzer target for a number of seconds:
#   Scripts/fuzz.sh FuzzIntake|FuzzPackLoading SECONDS [libFuzzer flags...]
# Builds Fuzz/ (its own SwiftPM package, scratch path Fuzz/.build) with
# -sanitize=fuzzer,address, copies the seed corpus into a fresh temporary directory (the
# repository's files are never modified), runs the target and prints its final statistics.
# Exit status: 0 no crash; 1 the fuzzer found a crash, leak or timeout (the reproducer is in
# the printed artifacts directory; add it under Tests/HostileCorpus/fuzz-regressions/);
# 2 usage or build error.
# FUZZ_KEEP=1 keeps the temporary directory (corpus, log); FUZZ_WORK=DIR uses DIR instead.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: Scripts/fuzz.sh FuzzIntake|FuzzPackLoading SECONDS [libFuzzer flags...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
target=$1
seconds=$2
shift 2
case "$target" in FuzzIntake | FuzzPackLoading) ;; *) usage ;; esac
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

echo "==> building $target (Fuzz/, -sanitize=fuzzer,address)"
if ! swift build --package-path Fuzz -c debug --product "$target" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >/tmp/normcheck-fuzz-build.$$ 2>&1; then
  grep -v "Cannot export local symbol" /tmp/normcheck-fuzz-build.$$ | tail -n 30 >&2
  rm -f /tmp/normcheck-fuzz-build.$$
  exit 2
fi
rm -f /tmp/normcheck-fuzz-build.$$
binary=$(swift build --package-path Fuzz -c debug --show-bin-path)/$target

work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/normcheck-fuzz-$target.XXXXXX")}
mkdir -p "$work/corpus" "$work/artifacts"
seed() {  # copies each existing file under a name that keeps its origin
  for file in "$@"; do
    [ -f "$file" ] || continue
    cp "$file" "$work/corpus/$(printf '%s' "$file" | tr '/' '_')"
  done
}
shopt -s nullglob
if [ "$target" = FuzzIntake ]; then
  seed Samples/*.xml Rules/packs/*/examples/*/*.xml Tests/HostileCorpus/inputs/* \
    Tests/XMLCoreTests/Fixtures/*.xml Tests/SchematronConformance/cases/*/doc.xml \
    Tests/HostileCorpus/fuzz-regressions/intake-*
else
  seed Rules/packs/*/pack.sch Tests/SchematronConformance/cases/*/schema.sch \
    Tests/SchematronConformance/cases/*/inc/*.sch Tests/HostileCorpus/packs/*/*.sch \
    Tests/HostileCorpus/fuzz-regressions/pack-*
fi
echo "==> $target for ${seconds}s: $(ls "$work/corpus" | wc -l) seeds in $work/corpus"

# Per-input leak detection stays on; the check at exit is off because LeakSanitizer reports
# long-lived Swift indirect-enum payloads (pointers carrying spare-bit tags) as leaks there.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:leak_check_at_exit=0:allocator_may_return_null=1:handle_abort=1}
set +e
(cd "$work" && "$binary" corpus -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
  -dict="$OLDPWD/Fuzz/dictionaries/xml.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@") \
  >"$work/fuzz.log" 2>&1
status=$?
set -e

grep -E '^#[0-9]+' "$work/fuzz.log" | tail -n 1 || true
grep -E '^stat::' "$work/fuzz.log" || true
echo "corpus: $(ls "$work/corpus" | wc -l) files; log: $work/fuzz.log"
artifacts=("$work"/artifacts/*)
if [ $status -ne 0 ] || [ ${#artifacts[@]} -gt 0 ]; then
  grep -E -A40 '==ERROR|ERROR: libFuzzer|Fatal error|deadly signal|SUMMARY' "$work/fuzz.log" | head -n 80 >&2 || true
  echo "$target: the fuzzer stopped with status $status; reproducers in $work/artifacts/:" >&2
  ls -l "$work/artifacts" >&2
  exit 1
fi
if [ "${FUZZ_KEEP:-0}" != 1 ] && [ -z "${FUZZ_WORK:-}" ]; then rm -rf "$work"; fi
echo "$target: no crash in ${seconds}s"
