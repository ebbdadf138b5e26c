#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for CI (.ci/run): munged, slurmctld and slurmd
# on localhost, one partition "debug" with every core. Debian's slurm-wlm and munge are
# installed when missing (root: CI machines). Idempotent: a running cluster is left as is.
# Only for a throwaway machine: it refuses to touch a SLURM set-up it did not write.
#   scripts/slurm_cluster.sh start   # install if needed, configure, start, wait until idle
#   scripts/slurm_cluster.sh stop
set -euo pipefail
action=${1:-start}
conf=/etc/slurm/slurm.conf

ours() { [ ! -e "$conf" ] || grep -q '^ClusterName=carequeue-ci$' "$conf"; }

stop() {
  ours || { echo "slurm: $conf is not this script's: not stopping anything" >&2; return 0; }
  for d in slurmd slurmctld munged; do pkill -x "$d" 2>/dev/null || true; done
  for _ in $(seq 50); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null \
      || return 0
    sleep 0.2
  done
}

if [ "$action" = stop ]; then stop; exit 0; fi
if ! ours; then
  echo "slurm: $conf exists and is not this script's: a real SLURM set-up, left alone" >&2
  exit 1
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
  echo "slurm: already up"; exit 0
fi
stop

# munge: a key of our own, daemon as root (the packaged service wants systemd).
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
chown -R root:root /var/log/munge /var/lib/munge /run/munge /etc/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chmod 400 /etc/munge/munge.key
munged --force

node=$(hostname -s)
# The node's real cores and memory, as slurmd sees them (a job asks for memory: mem_gb).
hw=$(slurmd -C | head -1 | sed -e "s/NodeName=[^ ]*/NodeName=$node/" -e 's/ UpTime=.*//')
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > "$conf" <<CONF
ClusterName=carequeue-ci
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MaxArraySize=100001
$hw NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld
slurmd
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
    echo "slurm: one-node cluster up ($hw)"; exit 0
  fi
  sleep 1
done
echo "slurm: the node did not become idle" >&2
sinfo >&2 || true
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
