#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests and for trying the batch scripts:
# munged, slurmctld and slurmd from Debian's packages (scripts/setup.sh installs them), with
# their keys, state, spool, sockets and logs in one folder of their own, so nothing in /etc is
# touched and `stop` leaves nothing behind. Needs root (slurmd starts jobs as their users).
#
#   scripts/slurm/local-cluster.sh start DIR   # prints `export SLURM_CONF=DIR/slurm.conf`
#   eval "$(scripts/slurm/local-cluster.sh start /tmp/slurm)"; sbatch ...; squeue
#   scripts/slurm/local-cluster.sh stop DIR    # cancels jobs, stops the daemons, waits until gone
#
# The node is this machine as `slurmd -C` sees it; one partition `local`; TaskPlugin=task/affinity
# (srun's --cpu-bind works), ProctrackType=proctrack/linuxproc, select/cons_tres by core.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2

# Exits 0 when the process is gone or a zombie (PID 1 may reap orphans late; kill -0 is no test).
gone() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true); [ -z "$st" ] || [ "$st" = Z ]; }

wait_gone() { # pid name
  for _ in $(seq 100); do gone "$1" && return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  for _ in $(seq 50); do gone "$1" && return 0; sleep 0.1; done
  echo "local-cluster: $2 (pid $1) did not stop" >&2; return 1
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

start() {
  [ "$(id -u)" = 0 ] || { echo "local-cluster: needs root (slurmd runs jobs as their users)" >&2; exit 2; }
  for b in munged slurmctld slurmd sbatch sinfo; do
    command -v "$b" >/dev/null || { echo "local-cluster: $b not found: run scripts/setup.sh (Debian packages munge, slurmctld, slurmd, slurm-client)" >&2; exit 2; }
  done
  if [ -e "$dir/slurm.conf" ] && [ -e "$dir/slurmctld.pid" ] && ! gone "$(cat "$dir/slurmctld.pid")"; then
    echo "local-cluster: a cluster is already running in $dir; stop it first" >&2; exit 2
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  chmod 700 "$dir"
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"
  local host node ctld_port d_port
  # The node as slurmd itself names and sizes it (its NodeName is what slurmd registers as).
  node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
  host=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<< "$node")
  [ -n "$host" ] || { echo "local-cluster: slurmd -C named no node: $node" >&2; exit 1; }
  ctld_port=$(free_port)
  d_port=$(free_port)
  [ -f "$dir/munge/munge.key" ] || { head -c 1024 /dev/urandom > "$dir/munge/munge.key"; chmod 400 "$dir/munge/munge.key"; }
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  cat > "$dir/slurm.conf" <<CONF
# Written by scripts/slurm/local-cluster.sh: a one-node cluster for tests.
ClusterName=pinbench-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
PlugStackConfig=$dir/plugstack.conf
InactiveLimit=0
KillWait=5
MinJobAge=30
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  : > "$dir/plugstack.conf"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 150); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.2
  done
  echo "local-cluster: the node did not come up within 30 s; logs in $dir (slurmctld.log, slurmd.log)" >&2
  sinfo -N >&2 || true
  stop || true
  exit 1
}

stop() {
  [ -d "$dir" ] || { echo "local-cluster: no cluster folder $dir" >&2; exit 2; }
  dir=$(cd "$dir" && pwd)
  export SLURM_CONF=$dir/slurm.conf
  local status=0
  if [ -f "$SLURM_CONF" ] && [ -f "$dir/slurmctld.pid" ] && ! gone "$(cat "$dir/slurmctld.pid")"; then
    scancel --full --quiet --partition=local 2>/dev/null || true
    # Jobs are given KillWait to end before slurmd is stopped.
    for _ in $(seq 100); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  for d in slurmd slurmctld munge/munged; do
    local pidfile=$dir/$d.pid
    [ -f "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    if ! gone "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" "$d" || status=1
    fi
    rm -f "$pidfile"
  done
  # What a daemon that died left behind: its slurmstepd processes and the jobs' own processes.
  # Both carry this cluster's SLURM_CONF in their environment (slurmd was started with it, and
  # Slurm gives it to every job); a job process also has SLURM_JOB_ID, which tells it from a
  # shell that merely exported SLURM_CONF to use the cluster.
  local p env
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    env=$({ tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null) || continue
    grep -qx "SLURM_CONF=$dir/slurm.conf" <<< "$env" || continue
    if grep -q '^SLURM_JOB_ID=' <<< "$env" || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ]; then
      gone "$p" && continue
      kill -KILL "$p" 2>/dev/null || true
      wait_gone "$p" "left-over process $(cat "/proc/$p/comm" 2>/dev/null)" || status=1
    fi
  done
  return $status
}

status() {
  export SLURM_CONF=$dir/slurm.conf
  sinfo -N && squeue
}

case $action in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
