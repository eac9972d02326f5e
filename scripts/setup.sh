#!/usr/bin/env bash
# Installs what pinbench's tests and cross-checks use beyond the Rust toolchain, from Debian's
# packages: bzip2 (tests unpack the recorded machines; required), python3 (the `exec` tests run
# the Python recipes of examples/python; required), linux-perf and hwloc (for
# scripts/validate.sh), chromium (the test that renders report.html in a real browser) and
# Slurm with munge (the test that runs pinbench through a one-node cluster, scripts/slurm/), make
# and, in .tools/venv, joblib and numpy (the exec tests with programs we did not write);
# optional: a failure to get them is reported, not fatal, and their checks are skipped (each
# test says so). With CI=true (`.ci/run` then makes a missing tool a test failure) chromium, and
# as root Slurm, are required too: setup fails unless it got them. Idempotent.
set -uo pipefail
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
ci=false
if [ "${CI:-}" = true ]; then ci=true; fi
install() {
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null 2>&1
}
need=()
command -v bzip2 >/dev/null || need+=(bzip2)
command -v tar >/dev/null || need+=(tar)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ] && ! install "${need[@]}"; then
  echo "setup: could not install ${need[*]} (needed by the tests): install them and retry" >&2
  exit 1
fi
optional=()
command -v perf >/dev/null || optional+=(linux-perf)
command -v lstopo-no-graphics >/dev/null || optional+=(hwloc)
if [ ${#optional[@]} -gt 0 ] && ! install "${optional[@]}"; then
  echo "setup: could not install ${optional[*]}; scripts/validate.sh needs them, the tests do not" >&2
fi
# The browser check of report.html (tests/report_html.rs).
if ! command -v chromium >/dev/null && ! install chromium; then
  if $ci; then
    echo "setup: could not install chromium, which CI requires (PINBENCH_REQUIRE_CHROMIUM): install it and retry" >&2
    exit 1
  fi
  echo "setup: could not install chromium; the browser check of report.html is skipped without it" >&2
fi
slurm=()
for b in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
  command -v "${b%%:*}" >/dev/null || slurm+=("${b#*:}")
done
# Without the recommended plugins (databases, GPUs): the daemons and the client are enough.
if [ ${#slurm[@]} -gt 0 ] && ! install --no-install-recommends "${slurm[@]}"; then
  if $ci && [ "$(id -u)" = 0 ]; then
    echo "setup: could not install ${slurm[*]}, which CI as root requires (PINBENCH_REQUIRE_SLURM): install them and retry" >&2
    exit 1
  fi
  echo "setup: could not install ${slurm[*]}; the Slurm test needs them, the other tests do not" >&2
fi
# The wheel test (tests/wheel.rs) makes venvs with `python3 -m venv`: Debian's python3 needs
# python3-venv for that (ensurepip). Without it that test skips, or fails under CI=true.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && ! install python3-venv; then
  echo "setup: could not install python3-venv; the wheel test (tests/wheel.rs) needs it" >&2
fi
# make, a program we did not write whose jobs `exec` places (tests/exec_real_programs.rs).
if ! command -v make >/dev/null && ! install make; then
  if $ci; then
    echo "setup: could not install make, which CI requires (PINBENCH_REQUIRE_MAKE): install it and retry" >&2
    exit 1
  fi
  echo "setup: could not install make; its exec test is skipped without it" >&2
fi
# joblib (the loky backend) and numpy (OpenBLAS's threads), for the tests of `exec` with programs
# we did not write (tests/exec_real_programs.rs), in a venv of the project's own: .tools/venv.
venv="$(cd "$(dirname "$0")/.." && pwd)/.tools/venv"
for pkg in joblib numpy; do
  if ! "$venv/bin/python" -c "import $pkg" >/dev/null 2>&1; then
    if ! { { [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"; } && "$venv/bin/pip" install -q "$pkg"; } >/dev/null 2>&1; then
      if $ci; then
        var=PINBENCH_REQUIRE_$(echo "$pkg" | tr a-z A-Z)
        echo "setup: could not install $pkg into $venv, which CI requires ($var): check that PyPI is reachable and retry" >&2
        exit 1
      fi
      echo "setup: could not install $pkg into $venv; its exec test is skipped without it" >&2
    fi
  fi
done
exit 0
