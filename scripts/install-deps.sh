#!/usr/bin/env bash
# Installs what RewardKit needs on a fresh Debian machine with Swift: OpenBLAS and zlib headers.
# Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(libopenblas-dev zlib1g-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
