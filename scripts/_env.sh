# Sourced by scripts/serve and scripts/check: make .venv exist and match pyproject.toml (idempotent).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.omnirelay-installed"
EXTRAS="$1"
want="$(sha256sum < "$ROOT/pyproject.toml" | cut -d' ' -f1)-$EXTRAS"
# llama-cpp-python (extra "chat") compiles llama.cpp: portable code, no download at build time
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_CURL=OFF}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT"${EXTRAS:+[$EXTRAS]}
  echo "$want" > "$stamp"
fi
