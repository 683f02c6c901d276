#!/usr/bin/env bash
# Formats every Swift file the house way (.swift-format: 4 spaces, 120 columns). scripts/test.sh
# fails on any difference. Long string literals are not split by the formatter: split them by hand
# (a multi-line literal with a trailing backslash keeps the value on one line).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec swift format format --in-place --recursive --parallel Sources Tests Package.swift
