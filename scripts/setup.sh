#!/usr/bin/env bash
# Installs what pinbench's tests and cross-checks use beyond the Rust toolchain, from Debian's
# packages: bzip2 (tests unpack the recorded machines; required), python3 (the `exec` tests run
# the Python recipes of examples/python; required), linux-perf and hwloc (for
# scripts/validate.sh), chromium (the test that renders report.html in a real browser) and
# Slurm with munge (the test that runs pinbench through a one-node cluster, scripts/slurm/);
# optional: a failure to get them is reported, not fatal, and their checks are skipped. Idempotent.
set -uo pipefail
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
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
command -v chromium >/dev/null || optional+=(chromium)
if [ ${#optional[@]} -gt 0 ] && ! install "${optional[@]}"; then
  echo "setup: could not install ${optional[*]}; scripts/validate.sh and the browser check need them, the other tests do not" >&2
fi
slurm=()
for b in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
  command -v "${b%%:*}" >/dev/null || slurm+=("${b#*:}")
done
# Without the recommended plugins (databases, GPUs): the daemons and the client are enough.
if [ ${#slurm[@]} -gt 0 ] && ! install --no-install-recommends "${slurm[@]}"; then
  echo "setup: could not install ${slurm[*]}; the Slurm test needs them, the other tests do not" >&2
fi
# The wheel test (tests/wheel.rs) makes venvs with `python3 -m venv`: Debian's python3 needs
# python3-venv for that (ensurepip). Without it that test skips, or fails under CI=true.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && ! install python3-venv; then
  echo "setup: could not install python3-venv; the wheel test (tests/wheel.rs) needs it" >&2
fi
exit 0
