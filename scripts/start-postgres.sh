#!/usr/bin/env bash
# Starts the local PostgreSQL cluster (Debian's postgresql package) and creates the role and the
# database `qkd` (password `qkd`) that the PostgreSQL key store tests use, through
# QKD_TEST_POSTGRES_URL=postgres://qkd:qkd@127.0.0.1:5432/qkd. Run as root; safe to run again.
set -euo pipefail
version="$(ls /etc/postgresql | sort -V | tail -1)"
pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 1 30); do
    su postgres -c "pg_isready -q -h 127.0.0.1" && break
    sleep 1
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname = 'qkd'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE ROLE qkd LOGIN PASSWORD 'qkd'\""
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname = 'qkd'\"" | grep -q 1 \
    || su postgres -c "createdb -O qkd qkd"
echo "PostgreSQL $version on 127.0.0.1:5432, database qkd"
