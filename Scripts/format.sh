#!/usr/bin/env bash
# Formats the Swift sources in place, then lints them (exit 1 on any lint finding).
#   Scripts/format.sh          format and lint
#   Scripts/format.sh --check  lint only (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Package.swift Sources Tests)
if [ "${1:-}" != "--check" ]; then
  swift format format --in-place --recursive --parallel "${paths[@]}"
fi
swift format lint --strict --recursive --parallel "${paths[@]}"
