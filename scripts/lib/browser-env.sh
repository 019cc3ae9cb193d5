# Shared by scripts/browser and scripts/screenshots: Debian's chromium and
# pinned Playwright (with pytest) in the project-local .venv-browser/.
# Source it from the repository's root, after defining `say` and `die`.
#
# Each function installs what is missing and fails (through `die`), never
# skips, when it cannot be had. `needed_by` names what needs them in the
# messages ("the browser tests" unless the caller says otherwise).

# The Chromium executable the pages are driven in.
chromium=/usr/bin/chromium
# Playwright for Python and pytest, pinned, in this virtual environment.
PLAYWRIGHT_VERSION=1.65.3
PYTEST_VERSION=9.2.0
venv=.venv-browser

# Debian's chromium: Playwright's own browser download is not reachable here.
ensure_chromium() {
  local for="${needed_by:-the browser tests}"
  if [[ ! -x "$chromium" ]]; then
    say "installing chromium (Debian) for $for"
    command -v apt-get >/dev/null || die "$for need $chromium, and there is no apt-get to install it"
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; } \
      || die "could not install chromium with apt-get; $for need it"
    [[ -x "$chromium" ]] || die "chromium was installed but $chromium is not there"
  fi
}

# Pinned playwright and pytest (PyPI) in $venv/ (ignored by git).
ensure_playwright() {
  local for="${needed_by:-the browser tests}" have
  # (Outputs captured whole: `grep -q` under pipefail can fail on SIGPIPE.)
  have=$("$venv/bin/pip" list --format=freeze 2>/dev/null || true)
  if [[ "$have" != *"playwright==$PLAYWRIGHT_VERSION"* || "$have" != *"pytest==$PYTEST_VERSION"* ]]; then
    say "installing playwright $PLAYWRIGHT_VERSION and pytest $PYTEST_VERSION into $venv/"
    command -v python3 >/dev/null || die "python3 is needed for $for"
    python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install python3-venv?)"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install --quiet \
      "playwright==$PLAYWRIGHT_VERSION" "pytest==$PYTEST_VERSION" \
      || die "could not install playwright==$PLAYWRIGHT_VERSION and pytest==$PYTEST_VERSION from PyPI"
  fi
}
