#!/usr/bin/env bash
# Starts, idempotently and on 127.0.0.1 only, what Permanence's tests need:
# PostgreSQL (5432), RabbitMQ (5672), Kamailio (SIP 5060, WebSocket 8088), rtpengine (control
# 22222, media 30000-30999: bridges plain-RTP callers to the browsers' WebRTC), the loopback Hub
# Santé (a second RabbitMQ node with TLS on 5671: scripts/hubsante-broker.sh), Chromium, and the
# call queue's link: Kamailio's evapi on 8448, where the central server parks and hands out line calls.
# Installs the Debian packages that are missing. Safe to run again: running services are kept.
#   scripts/services.sh [start|stop-kamailio|start-kamailio|status|ha-start|ha-stop]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${PERMANENCE_RUN_DIR:-/tmp/permanence-services}
mkdir -p "$RUN"

log() { printf '[services] %s\n' "$*"; }

port_open() { # tcp|udp port
  if [ "$1" = udp ]; then ss -Hlnu "sport = :$2" | grep -q .; else ss -Hlnt "sport = :$2" | grep -q .; fi
}
wait_port() { # tcp|udp port what
  for _ in $(seq 1 150); do port_open "$1" "$2" && return 0; sleep 0.2; done
  log "ERREUR : $3 n'écoute pas sur $1/$2"; return 1
}

APT_UPDATED=0
need_pkgs() { # packages...
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installation de ${missing[*]}"
  if [ $APT_UPDATED -eq 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_postgres() {
  if port_open tcp 5432; then log "PostgreSQL déjà démarré"; return; fi
  need_pkgs postgresql
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port tcp 5432 PostgreSQL
  log "PostgreSQL $version démarré"
}

start_rabbitmq() {
  if port_open tcp 5672; then log "RabbitMQ déjà démarré"; return; fi
  need_pkgs rabbitmq-server
  rabbitmq-server -detached
  wait_port tcp 5672 RabbitMQ
  log "RabbitMQ démarré"
}

start_rtpengine() {
  # sox: the central server turns the recordings into compressed files; espeak-ng makes the lines'
  # default messages (scripts/make-line-audio.sh).
  need_pkgs rtpengine-daemon sox libsox-fmt-all espeak-ng
  # Userspace forwarding only (no kernel module here), no Redis, loopback only. The conversations
  # of the lines are recorded as pcap into a spool the central server converts and empties.
  mkdir -p "$RUN/rtp-spool"; chmod 700 "$RUN/rtp-spool"
  local args=(--foreground --log-stderr --interface=127.0.0.1 --listen-ng=127.0.0.1:22222
    --port-min=30000 --port-max=30999 --no-redis-required --table=-1 --delete-delay=0
    --recording-dir="$RUN/rtp-spool" --recording-method=pcap --recording-format=raw)
  if port_open udp 22222; then
    if [ -f "$RUN/rtpengine.pid" ] && [ "$(cat "$RUN/rtpengine.args" 2>/dev/null)" = "${args[*]}" ]; then log "rtpengine déjà démarré"; return; fi
    log "rtpengine : options changées, redémarrage"
    [ -f "$RUN/rtpengine.pid" ] && kill "$(cat "$RUN/rtpengine.pid")" 2>/dev/null || pkill -x rtpengine || true
    for _ in $(seq 1 50); do port_open udp 22222 || break; sleep 0.1; done
  fi
  rtpengine "${args[@]}" > "$RUN/rtpengine.log" 2>&1 &
  echo $! > "$RUN/rtpengine.pid"
  echo "${args[*]}" > "$RUN/rtpengine.args"
  wait_port udp 22222 rtpengine
  log "rtpengine démarré (pid $(cat "$RUN/rtpengine.pid"), journal $RUN/rtpengine.log)"
}

start_kamailio() {
  # evapi (the call queue's link to the central server) is in the extra modules, jansson in json.
  need_pkgs kamailio kamailio-websocket-modules kamailio-extra-modules kamailio-json-modules
  start_rtpengine
  if [ -f "$RUN/kamailio.pid" ] && kill -0 "$(cat "$RUN/kamailio.pid")" 2>/dev/null && port_open tcp 8088; then
    # Running with the accounts and configuration of this checkout: nothing to do; otherwise restart.
    if diff -rq "$ROOT/resources/sip/users" "$RUN/sip-users" >/dev/null 2>&1 && cmp -s "$ROOT/resources/sip/kamailio.cfg" "$RUN/kamailio.cfg"; then
      log "Kamailio déjà démarré"; return
    fi
    log "Kamailio : comptes ou configuration changés, redémarrage"
    stop_kamailio
    for _ in $(seq 1 50); do port_open tcp 8088 || break; sleep 0.1; done
  fi
  if port_open tcp 8088 || port_open udp 5060; then
    log "ERREUR : le port 8088 ou 5060 est pris par un autre programme"; return 1
  fi
  rm -rf "$RUN/sip-users"; cp -r "$ROOT/resources/sip/users" "$RUN/sip-users"
  cp "$ROOT/resources/sip/kamailio.cfg" "$RUN/kamailio.cfg"
  kamailio -DD -E -f "$ROOT/resources/sip/kamailio.cfg" -Y "$RUN" -A "DBURL=\"text://$RUN/sip-users\"" -A WITH_RTPENGINE -A WITH_LINES \
    > "$RUN/kamailio.log" 2>&1 &
  echo $! > "$RUN/kamailio.pid"
  wait_port tcp 8088 Kamailio
  log "Kamailio démarré (pid $(cat "$RUN/kamailio.pid"), journal $RUN/kamailio.log)"
}

stop_kamailio() {
  if [ -f "$RUN/kamailio.pid" ]; then kill "$(cat "$RUN/kamailio.pid")" 2>/dev/null || true; rm -f "$RUN/kamailio.pid"; fi
}

ensure_chromium() {
  need_pkgs chromium
  /usr/bin/chromium --version >/dev/null 2>&1 || { log "ERREUR : /usr/bin/chromium ne démarre pas"; return 1; }
  log "Chromium : $(/usr/bin/chromium --version 2>/dev/null | head -1)"
}

case ${1:-start} in
  start)
    # poppler-utils: the report tests read the PDFs back (pdftotext) and render them (pdftoppm).
    need_pkgs iproute2 poppler-utils
    start_postgres
    start_rabbitmq
    need_pkgs openssl
    bash "$ROOT/scripts/hubsante-broker.sh" start
    start_kamailio
    ensure_chromium
    ;;
  stop-kamailio)
    stop_kamailio
    # Gone when this returns: its ports are free.
    for _ in $(seq 1 50); do port_open tcp 8088 || break; sleep 0.1; done
    ;;
  start-kamailio) start_kamailio ;;
  # The database cluster of the high-availability tests (3 etcd, 2 PostgreSQL under Patroni,
  # HAProxy on 5440): apart from the rest, started and torn down around those tests.
  ha-start) bash "$ROOT/scripts/ha-cluster.sh" start ;;
  ha-stop) bash "$ROOT/scripts/ha-cluster.sh" stop ;;
  status)
    for p in "tcp 5432 PostgreSQL" "tcp 5672 RabbitMQ" "tcp 5671 Hub-Santé-loopback" "tcp 8088 Kamailio-WS" "udp 5060 Kamailio-UDP" "tcp 8448 Kamailio-evapi" "udp 22222 rtpengine"; do
      set -- $p; if port_open "$1" "$2"; then log "$3 : ok"; else log "$3 : arrêté"; fi
    done
    ;;
  *) echo "usage: $0 [start|stop-kamailio|start-kamailio|status|ha-start|ha-stop]" >&2; exit 2 ;;
esac
