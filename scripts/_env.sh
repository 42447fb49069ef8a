# Sourced by scripts/serve and scripts/check: make .venv exist and match pyproject.toml (idempotent),
# and the Debian packages the chosen extras need be installed.
#   source _env.sh EXTRAS SYSTEM_PACKAGES...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
EXTRAS="$1"
shift
SYSTEM_PACKAGES=("$@")

# Debian packages first: an apt-get that has to run should run before the long pip install.
missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    echo "error: these Debian packages are needed and missing: ${missing[*]}" >&2
    echo "       install them as root, then run this command again:" >&2
    echo "       sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.omnirelay-installed"
want="$(sha256sum < "$ROOT/pyproject.toml" | cut -d' ' -f1)-$EXTRAS"
# llama-cpp-python (extra "chat") compiles llama.cpp: portable code, no download at build time
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_CURL=OFF}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing Python packages into .venv (extras: ${EXTRAS:-none}); the first time takes a few minutes" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT"${EXTRAS:+[$EXTRAS]}
  echo "$want" > "$stamp"
fi
