#!/usr/bin/env bash
# The database cluster of the high-availability tests, on 127.0.0.1 only, from Debian's packages:
# three etcd members (clients 2391-2393, peers 2381-2383), two PostgreSQL 15 nodes under Patroni
# (5441/5442, REST 8011/8012) with synchronous replication, and HAProxy on 5440 in front of the
# primary. The plain PostgreSQL on 5432 is left alone. Idempotent: what runs is kept.
#   scripts/ha-cluster.sh start     install what is missing, start, wait for a primary with a streaming synchronous standby
#   scripts/ha-cluster.sh stop      stop everything (standby first, so that stopping does not fail over) and delete the data
#   scripts/ha-cluster.sh status    Patroni's view and the primary's replication
# Connection for the tests: postgres://postgres:permanence-ha-super@127.0.0.1:5440/postgres
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${PERMANENCE_HA_DIR:-/tmp/permanence-ha}
NODES=(pg1 pg2)
declare -A PGPORT=([pg1]=5441 [pg2]=5442)
declare -A RESTPORT=([pg1]=8011 [pg2]=8012)
MEMBERS=(e1 e2 e3)
declare -A CLIENT=([e1]=2391 [e2]=2392 [e3]=2393)
declare -A PEER=([e1]=2381 [e2]=2382 [e3]=2383)
export PGPASSWORD=permanence-ha-super

log() { printf '[ha-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# A process is alive when it exists, is not a zombie (a killed daemon may linger as one here) and is ours.
alive() { # pid substring-of-its-command-line
  local pid=${1:-} st
  [[ -n "$pid" && -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ "$st" != Z && "$st" != X ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}
pid_in() { [[ -r "$1" ]] && head -1 "$1" | tr -d ' \n' || true; }

need_pkgs() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installation de ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

http_code() { curl -s -o /dev/null -w '%{http_code}' -m 1 -X OPTIONS "$1" || true; }

start() {
  need_pkgs etcd-server patroni haproxy postgresql-15 curl
  # Debian starts the packaged services: ours run on their own ports, theirs are not needed.
  for unit in etcd haproxy patroni; do service "$unit" stop >/dev/null 2>&1 || true; done
  mkdir -p "$RUN"/{conf,data,log,run}
  chown postgres:postgres "$RUN/data" "$RUN/log" "$RUN/run"
  chmod 755 "$RUN" "$RUN/conf" "$RUN/data" "$RUN/log"; chmod 750 "$RUN/run"
  local t0=$SECONDS cluster="" m n pid

  for m in "${MEMBERS[@]}"; do cluster+="${cluster:+,}$m=http://127.0.0.1:${PEER[$m]}"; done
  for m in "${MEMBERS[@]}"; do
    pid=$(pid_in "$RUN/run/etcd-$m.pid")
    if alive "$pid" "data/etcd-$m"; then continue; fi
    mkdir -p "$RUN/data/etcd-$m"; chmod 700 "$RUN/data/etcd-$m"
    etcd --name "$m" --data-dir "$RUN/data/etcd-$m" \
      --listen-client-urls "http://127.0.0.1:${CLIENT[$m]}" --advertise-client-urls "http://127.0.0.1:${CLIENT[$m]}" \
      --listen-peer-urls "http://127.0.0.1:${PEER[$m]}" --initial-advertise-peer-urls "http://127.0.0.1:${PEER[$m]}" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token permanence-ha \
      --heartbeat-interval 100 --election-timeout 1000 --enable-v2=true --logger zap --log-level warn \
      >> "$RUN/log/etcd-$m.log" 2>&1 < /dev/null &
    echo $! > "$RUN/run/etcd-$m.pid"
  done
  local healthy=0
  for _ in $(seq 1 150); do
    healthy=0
    for m in "${MEMBERS[@]}"; do curl -fsS -m 1 "http://127.0.0.1:${CLIENT[$m]}/health" 2>/dev/null | grep -q '"health":"true"' && healthy=$((healthy + 1)); done
    [[ $healthy -eq 3 ]] && break
    sleep 0.2
  done
  [[ $healthy -eq 3 ]] || { log "ERREUR : etcd n'est pas prêt ($healthy/3)"; exit 1; }

  for n in "${NODES[@]}"; do
    sed -e "s#@RUN@#$RUN#g" -e "s#@NAME@#$n#g" -e "s#@PGPORT@#${PGPORT[$n]}#g" -e "s#@RESTPORT@#${RESTPORT[$n]}#g" \
      "$ROOT/scripts/ha/patroni.yml.tmpl" > "$RUN/conf/$n.yml"
    chown postgres:postgres "$RUN/conf/$n.yml"; chmod 600 "$RUN/conf/$n.yml"
    mkdir -p "$RUN/log/$n"; chown postgres:postgres "$RUN/log/$n"
    pid=$(pid_in "$RUN/run/patroni-$n.pid")
    if alive "$pid" "conf/$n.yml"; then continue; fi
    # setpriv replaces itself with Patroni: $! is Patroni's pid (the tests freeze it with SIGSTOP).
    env -i PATH=/usr/bin:/bin HOME=/var/lib/postgresql LANG=C.UTF-8 \
      setpriv --reuid=postgres --regid=postgres --init-groups patroni "$RUN/conf/$n.yml" \
      >> "$RUN/log/patroni-$n.log" 2>&1 < /dev/null &
    echo $! > "$RUN/run/patroni-$n.pid"
  done

  sed -e "s#@RUN@#$RUN#g" "$ROOT/scripts/ha/haproxy.cfg.tmpl" > "$RUN/conf/haproxy.cfg"
  pid=$(pid_in "$RUN/run/haproxy.pid")
  if ! alive "$pid" "conf/haproxy.cfg"; then
    haproxy -c -q -f "$RUN/conf/haproxy.cfg"
    haproxy -db -f "$RUN/conf/haproxy.cfg" >> "$RUN/log/haproxy.log" 2>&1 < /dev/null &
    echo $! > "$RUN/run/haproxy.pid"
  fi

  # Ready: one primary, one synchronous standby streaming, writable through HAProxy.
  for _ in $(seq 1 600); do
    if [[ $(primary_count) -eq 1 ]] && psql -X -q -h 127.0.0.1 -p 5440 -U postgres -d postgres -tAc \
      "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'" 2>/dev/null | grep -qx 1; then
      log "prêt en $((SECONDS - t0)) s : primaire joignable par 127.0.0.1:5440, un secours synchrone"
      return 0
    fi
    sleep 0.2
  done
  log "ERREUR : la grappe n'est pas prête après $((SECONDS - t0)) s (journaux : $RUN/log)"
  tail -20 "$RUN"/log/patroni-*.log >&2 || true
  exit 1
}

primary_count() {
  local c=0 n
  for n in "${NODES[@]}"; do [[ $(http_code "http://127.0.0.1:${RESTPORT[$n]}/primary") == 200 ]] && c=$((c + 1)); done
  echo $c
}

stop_pid() { # pid substring timeout-seconds [signal]
  local pid=$1 what=$2 timeout=$3 sig=${4:-TERM}
  alive "$pid" "$what" || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((timeout * 10))); do alive "$pid" "$what" || return 0; sleep 0.1; done
  log "$what toujours là après ${timeout} s : SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

stop() {
  [[ -d "$RUN" ]] || return 0
  local n pid ppid order=()
  stop_pid "$(pid_in "$RUN/run/haproxy.pid")" conf/haproxy.cfg 5
  # A frozen Patroni (a test's SIGSTOP) never handles SIGTERM.
  for n in "${NODES[@]}"; do pid=$(pid_in "$RUN/run/patroni-$n.pid"); alive "$pid" "conf/$n.yml" && kill -CONT "$pid" 2>/dev/null || true; done
  for n in "${NODES[@]}"; do [[ $(http_code "http://127.0.0.1:${RESTPORT[$n]}/primary") == 200 ]] || order+=("$n"); done
  for n in "${NODES[@]}"; do [[ " ${order[*]} " == *" $n "* ]] || order+=("$n"); done
  for n in "${order[@]}"; do
    stop_pid "$(pid_in "$RUN/run/patroni-$n.pid")" "conf/$n.yml" 40
    # A PostgreSQL left behind (its Patroni killed): stopped by its postmaster.
    ppid=$(pid_in "$RUN/data/$n/postmaster.pid")
    stop_pid "$ppid" "data/$n" 30 INT
  done
  for m in "${MEMBERS[@]}"; do stop_pid "$(pid_in "$RUN/run/etcd-$m.pid")" "data/etcd-$m" 10; done
  rm -rf "$RUN"
  log "arrêtée"
}

status() {
  local n
  for n in "${NODES[@]}"; do
    printf '%s: /primary %s, /sync %s\n' "$n" "$(http_code "http://127.0.0.1:${RESTPORT[$n]}/primary")" "$(http_code "http://127.0.0.1:${RESTPORT[$n]}/sync")"
  done
  psql -X -h 127.0.0.1 -p 5440 -U postgres -d postgres -c "SELECT application_name, state, sync_state FROM pg_stat_replication" 2>/dev/null || echo "primaire injoignable par 5440"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
