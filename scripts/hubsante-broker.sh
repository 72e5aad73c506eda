#!/usr/bin/env bash
# The loopback Hub Santé of the tests: a SECOND RabbitMQ node (the system one on 127.0.0.1:5672 is
# never touched) with the Hub's transport rules: TLS 1.2 only on 127.0.0.1:5671, client certificate
# required and verified against a throw-away CA, SASL EXTERNAL with user = certificate CN, the Hub's
# topology (vhost 15-15_v2.0, exchanges hubsante/distribution/distribution.dlx, <id>.message|ack|info
# queues, 24 h TTL and dead-lettering) imported at boot, clients without configure rights (passive
# declares only) and allowed to publish only with their own id as routing key.
# Follows ../shared/docs/hubsante-testbed.md (proven on this machine kind).
#
#   scripts/hubsante-broker.sh start     certificates if missing, config, start, wait (no-op if running)
#   scripts/hubsante-broker.sh stop      stop (returns when the node has exited)
#   scripts/hubsante-broker.sh restart   stop + start (durable queues and persistent messages survive)
#   scripts/hubsante-broker.sh status    ping the node
#   scripts/hubsante-broker.sh ctl ARGS  rabbitmqctl against this node (list_queues -p 15-15_v2.0 name messages)
#   scripts/hubsante-broker.sh clean     stop and delete all its state (data, logs, certificates)
#
# State in $PERMANENCE_HUB_DIR (default /tmp/permanence-hub): certs/ (ca.pem, <id>.pem, <id>.key),
# etc/, mnesia/, log/. Clients: the ids in HUB_CLIENTS below, plus "dispatcher" (the stub).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${PERMANENCE_HUB_DIR:-/tmp/permanence-hub}
NODE=${PERMANENCE_HUB_NODE:-permhub@localhost}     # must differ from the system node (rabbit@localhost)
TLS_PORT=${PERMANENCE_HUB_PORT:-5671}
DIST_PORT=${PERMANENCE_HUB_DIST_PORT:-25674}       # the default (AMQP port + 20000) is the system node's
VHOST=${PERMANENCE_HUB_VHOST:-15-15_v2.0}
# The SAMU of the demo department (21), the liberal regulation center (Permanence), the SAS platform,
# and a second SAMU / liberal pair used by the benchmarks.
HUB_CLIENTS="fr.health.samu210 fr.health.snp210 fr.health.test.ptfsas fr.health.samu990 fr.health.snp990"
RMQ_BIN=/usr/lib/rabbitmq/bin

log() { printf '[hub] %s\n' "$*"; }

rmq() { # every path and port explicit: never the system node's cookie, env file or config
  mkdir -p "$D"                                    # a missing HOME makes even the CLI's VM crash
  env HOME="$D" ERL_CRASH_DUMP="$D/erl_crash.dump" \
    RABBITMQ_CONF_ENV_FILE="$D/etc/rabbitmq-env.conf" \
    RABBITMQ_NODENAME="$NODE" \
    RABBITMQ_CONFIG_FILE="$D/etc/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$D/etc/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$D/etc/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$D/mnesia" \
    RABBITMQ_LOG_BASE="$D/log" \
    RABBITMQ_PID_FILE="$D/rabbit.pid" \
    RABBITMQ_DIST_PORT="$DIST_PORT" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$RMQ_BIN/$@"
}

certs() ( # a throw-away certificate authority and one certificate per client (CN = client id)
  local c="$D/certs"; mkdir -p "$c"; cd "$c"
  ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -subj "/O=Permanence test/CN=$2" -keyout "$1.key" -out "$1.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  }
  leaf() { # name CN issuer extensions
    openssl req -newkey rsa:2048 -nodes -subj "/C=FR/O=Permanence test/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    printf '%b' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 825 -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  local cli='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
  [ -f ca.pem ] || ca ca "Permanence test Hub CA"
  [ -f server.pem ] || leaf server localhost ca "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
  # fr.health.samu999: trusted but no such user (refused at login); rogue: right CN, untrusted issuer.
  for id in $HUB_CLIENTS dispatcher fr.health.samu999; do [ -f "$id.pem" ] || leaf "$id" "$id" ca "$cli"; done
  [ -f rogue-ca.pem ] || ca rogue-ca "Untrusted CA"
  [ -f rogue.pem ] || leaf rogue fr.health.snp210 rogue-ca "$cli"
  chmod 600 ./*.key
)

definitions() { # the Hub's topology for the clients above (see docs/hubsante-testbed.md §4)
  node "$ROOT/scripts/hubsante-definitions.mjs" "$VHOST" $HUB_CLIENTS > "$D/etc/definitions.json"
}

write_config() {
  mkdir -p "$D/etc" "$D/log" "$D/mnesia"
  : > "$D/etc/rabbitmq-env.conf"                   # empty on purpose: hides /etc/rabbitmq/rabbitmq-env.conf
  echo '[].' > "$D/etc/advanced.config"
  echo '[rabbitmq_auth_mechanism_ssl].' > "$D/etc/enabled_plugins"
  definitions
  cat > "$D/etc/rabbitmq.conf" <<CONF
listeners.tcp = none
listeners.ssl.1 = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $D/certs/ca.pem
ssl_options.certfile = $D/certs/server.pem
ssl_options.keyfile = $D/certs/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
ssl_options.versions.1 = tlsv1.2
auth_mechanisms.1 = EXTERNAL
ssl_cert_login_from = common_name
definitions.import_backend = local_filesystem
definitions.local.path = $D/etc/definitions.json
log.file.level = info
log.console = false
CONF
}

up() { rmq rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

start() {
  if up; then log "nœud $NODE déjà démarré (amqps://127.0.0.1:$TLS_PORT/$VHOST)"; return 0; fi
  command -v openssl >/dev/null || { log "ERREUR : openssl absent"; return 1; }
  [ -x "$RMQ_BIN/rabbitmq-server" ] || { log "ERREUR : rabbitmq-server (paquet Debian) absent"; return 1; }
  for p in "$TLS_PORT" "$DIST_PORT"; do            # a clash would only show in a crash dump
    if ss -Hltn "sport = :$p" | grep -q .; then log "ERREUR : port $p déjà pris"; return 1; fi
  done
  certs
  write_config
  rm -f "$D/rabbit.pid" "$D/erl_crash.dump"
  (cd "$D" && rmq rabbitmq-server -detached)
  for _ in $(seq 120); do
    [ -s "$D/rabbit.pid" ] && break
    if [ -f "$D/erl_crash.dump" ]; then grep -m1 '^Slogan' "$D/erl_crash.dump" >&2; return 1; fi
    sleep 0.5
  done
  if ! rmq rabbitmqctl -q wait --timeout 60 "$D/rabbit.pid"; then # broker and boot-time definitions ready
    grep -h 'Error during startup' "$D/log/$NODE.log" | tail -1 >&2 || true
    [ -f "$D/erl_crash.dump" ] && grep -m1 '^Slogan' "$D/erl_crash.dump" >&2
    return 1
  fi
  log "nœud $NODE démarré : amqps://127.0.0.1:$TLS_PORT/$VHOST, certificats $D/certs, journaux $D/log"
}

stop() {
  if ! up; then log "nœud $NODE arrêté"; return 0; fi
  rmq rabbitmqctl -q stop "$D/rabbit.pid" >/dev/null
  log "nœud $NODE arrêté"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if up; then log "$NODE : ok"; else log "$NODE : arrêté"; exit 1; fi ;;
  ctl) shift; rmq rabbitmqctl "$@" ;;
  clean) stop; rm -rf "$D" ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
