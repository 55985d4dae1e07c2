# shellcheck shell=bash
# Shared bootstrap for bin/start and bin/test. Source it; don't execute it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
#   sk_bootstrap          # cd to the repo root, make .venv, install if needed
#
# After sk_bootstrap: cwd is the repo root, $SK_ROOT, $SK_VENV and $SK_PY
# (the venv's python) are set, and the venv's bin/ leads PATH.
#
# Environment knobs:
#   SHOUKONG_PYTHON   interpreter used to create .venv (default: python3.11,
#                     else python3, else python3.12; it must be 3.11 or 3.12)
#   SHOUKONG_FORCE_INSTALL=1   reinstall even if requirements are unchanged

SK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SK_VENV="$SK_ROOT/.venv"
SK_PY="$SK_VENV/bin/python"
SK_STAMP="$SK_VENV/.shoukong-install-stamp"

sk_log() { printf '==> %s\n' "$*" >&2; }
sk_warn() { printf 'WARNING: %s\n' "$*" >&2; }
sk_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# "3.11" for an interpreter, or nothing if it cannot run.
sk_py_version() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

sk_py_supported() {
    case "$1" in 3.11 | 3.12) return 0 ;; *) return 1 ;; esac
}

# Print the interpreter to build .venv with, or die explaining why there is none.
sk_find_python() {
    local cand ver tried=()
    if [[ -n "${SHOUKONG_PYTHON:-}" ]]; then
        ver="$(sk_py_version "$SHOUKONG_PYTHON")"
        sk_py_supported "$ver" ||
            sk_die "SHOUKONG_PYTHON=$SHOUKONG_PYTHON is Python '${ver:-unusable}'; Shoukong needs Python 3.11 or 3.12."
        printf '%s\n' "$SHOUKONG_PYTHON"
        return
    fi
    for cand in python3.11 python3 python3.12; do
        command -v "$cand" >/dev/null 2>&1 || continue
        ver="$(sk_py_version "$cand")"
        if sk_py_supported "$ver"; then
            command -v "$cand"
            return
        fi
        tried+=("$cand=${ver:-unusable}")
    done
    sk_die "Shoukong needs Python 3.11 or 3.12, found: ${tried[*]:-no python3 on PATH}.
       Install Python 3.11 (Debian 12: apt-get install python3 python3-venv)
       or point SHOUKONG_PYTHON at a python3.11/python3.12 executable."
}

# True if .venv exists, runs a supported Python and has pip.
sk_venv_healthy() {
    [[ -x "$SK_PY" ]] || return 1
    sk_py_supported "$(sk_py_version "$SK_PY")" || return 1
    "$SK_PY" -m pip --version >/dev/null 2>&1
}

# Debian/Ubuntu ship python3 without ensurepip; venv needs python3-venv.
sk_install_python_venv_pkg() {
    local py="$1" ver pkgs=(python3-venv)
    ver="$(sk_py_version "$py")"
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        sk_die "'$py -m venv' failed: this Python has no venv/ensurepip support.
       On Debian/Ubuntu run:  sudo apt-get install -y python3-venv python${ver}-venv
       then run this command again."
    fi
    sk_log "'$py -m venv' failed (no ensurepip); installing python3-venv with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    if apt-cache show "python${ver}-venv" >/dev/null 2>&1; then
        pkgs+=("python${ver}-venv")
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

sk_ensure_venv() {
    sk_venv_healthy && return 0
    local py
    py="$(sk_find_python)" || exit 1
    if [[ -e "$SK_VENV" ]]; then
        sk_warn "$SK_VENV is broken or uses an unsupported Python; recreating it"
        rm -rf "$SK_VENV"
    fi
    sk_log "Creating $SK_VENV with $py (Python $(sk_py_version "$py"))"
    if ! "$py" -m venv "$SK_VENV" >/dev/null 2>&1; then
        # A failed venv leaves a half-made directory without pip behind.
        rm -rf "$SK_VENV"
        sk_install_python_venv_pkg "$py"
        "$py" -m venv "$SK_VENV" || { rm -rf "$SK_VENV"; sk_die "could not create $SK_VENV with $py"; }
    fi
    sk_venv_healthy || sk_die "$SK_VENV was created but has no working pip"
}

# Hash of everything that decides what gets installed.
sk_requirements_hash() {
    {
        sk_py_version "$SK_PY"
        cat "$SK_ROOT/requirements.lock" "$SK_ROOT/pyproject.toml"
    } | sha256sum | cut -d' ' -f1
}

sk_install_if_needed() {
    local want have=""
    [[ -f "$SK_ROOT/requirements.lock" ]] || sk_die "requirements.lock is missing from $SK_ROOT"
    [[ -f "$SK_ROOT/pyproject.toml" ]] || sk_die "pyproject.toml is missing from $SK_ROOT"
    want="$(sk_requirements_hash)"
    [[ -f "$SK_STAMP" ]] && have="$(cat "$SK_STAMP")"
    if [[ "$want" == "$have" && "${SHOUKONG_FORCE_INSTALL:-0}" != 1 ]]; then
        return 0
    fi
    sk_log "Installing dependencies (first run, or requirements.lock/pyproject.toml changed)"
    rm -f "$SK_STAMP"
    "$SK_PY" -m pip install --quiet --disable-pip-version-check --progress-bar off \
        -r "$SK_ROOT/requirements.lock" ||
        sk_die "pip install -r requirements.lock failed (see above)"
    "$SK_PY" -m pip install --quiet --disable-pip-version-check --progress-bar off \
        --no-deps -e "$SK_ROOT" ||
        sk_die "pip install -e . failed (see above)"
    printf '%s\n' "$want" >"$SK_STAMP"
}

# Serialise bootstraps of the same checkout (two terminals, bin/start + bin/test).
sk_with_lock() {
    if command -v flock >/dev/null 2>&1; then
        local lock
        lock="${TMPDIR:-/tmp}/shoukong-bootstrap-$(id -u)-$(printf '%s' "$SK_ROOT" | cksum | cut -d' ' -f1).lock"
        (
            flock -w 900 9 || sk_die "timed out waiting for another bootstrap ($lock)"
            "$@"
        ) 9>"$lock"
    else
        "$@"
    fi
}

sk_bootstrap_locked() {
    sk_ensure_venv
    sk_install_if_needed
}

sk_bootstrap() {
    cd "$SK_ROOT" || sk_die "cannot cd to $SK_ROOT"
    sk_with_lock sk_bootstrap_locked || exit $?
    export VIRTUAL_ENV="$SK_VENV"
    export PATH="$SK_VENV/bin:$PATH"
    unset PYTHONHOME
}
