#!/usr/bin/env bash
# Installs what pinbench's tests and cross-checks use beyond the Rust toolchain: tar+bzip2 to
# unpack the recorded machines, perf (linux-perf) and hwloc for the cross-checks. Idempotent.
set -euo pipefail
need=()
command -v bzip2 >/dev/null || need+=(bzip2)
command -v tar >/dev/null || need+=(tar)
if [ "${PINBENCH_SETUP_OPTIONAL:-1}" = 1 ]; then
  command -v perf >/dev/null || need+=(linux-perf)
  command -v lstopo >/dev/null || need+=(hwloc)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
