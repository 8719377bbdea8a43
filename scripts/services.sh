#!/usr/bin/env bash
# Makes sure the test services exist and run: PostgreSQL and MariaDB on
# 127.0.0.1 (postgres with trust auth, root with an empty password) and the
# kcat client. Installs them from Debian when missing. Safe to run often.
# Exits non-zero, naming what is missing, when any of them could not be
# installed or started: a green test run must mean the database tests ran.
set -u
log() { echo "services: $*" >&2; }
failed=()
fail() { log "$*"; failed+=("$1"); }

need_pkgs=()
command -v kcat >/dev/null || need_pkgs+=(kcat)
ls /etc/postgresql/*/main >/dev/null 2>&1 || need_pkgs+=(postgresql)
[ -x /usr/sbin/mariadbd ] || need_pkgs+=(mariadb-server)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null 2>&1 || log "apt-get install ${need_pkgs[*]} failed"
  else
    log "missing ${need_pkgs[*]}: install them (apt-get install -y ${need_pkgs[*]})"
  fi
fi
command -v kcat >/dev/null || fail "kcat: not installed (apt-get install -y kcat)"

port_open() { (echo > "/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }
wait_port() { for _ in $(seq 1 30); do port_open "$1" && return 0; sleep 1; done; return 1; }

# PostgreSQL
if ls /etc/postgresql/*/main >/dev/null 2>&1; then
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  if ! port_open 5432; then
    log "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || log "pg_ctlcluster start failed"
    wait_port 5432 || log "PostgreSQL did not open 5432"
  fi
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    log "allowing trust auth for postgres on 127.0.0.1 ($hba)"
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >/dev/null 2>&1
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1 ||
    fail "postgresql: not answering on 127.0.0.1:5432 as postgres (see /var/log/postgresql)"
else
  fail "postgresql: not installed (apt-get install -y postgresql)"
fi

# MariaDB
if [ -x /usr/sbin/mariadbd ]; then
  if ! port_open 3306; then
    log "starting MariaDB"
    mkdir -p /run/mysqld /var/log/mysql && chown mysql:mysql /run/mysqld /var/log/mysql 2>/dev/null
    # As root mariadbd refuses to run unless told which user to become; its
    # log (crash traces included) goes to /var/log/mysql/error.log.
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --log-error=/var/log/mysql/error.log >/dev/null 2>&1
    wait_port 3306 || log "MariaDB did not open 3306"
  fi
  if ! mysql -h 127.0.0.1 -u root -e 'select 1' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "allowing root with an empty password over TCP"
    mysql -u root -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;" >/dev/null 2>&1 ||
      log "could not set MariaDB root auth"
  fi
  mysql -h 127.0.0.1 -u root -e 'select 1' >/dev/null 2>&1 ||
    fail "mariadb: not answering on 127.0.0.1:3306 as root (see /var/log/mysql or run mariadbd --user=mysql)"
else
  fail "mariadb: not installed (apt-get install -y mariadb-server)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
exit 0
