#!/bin/sh
# Runs once when the PostgreSQL volume is created: Hireflow's own database beside Temporal's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE USER hireflow WITH PASSWORD '${HIREFLOW_DB_PASSWORD}';
CREATE DATABASE hireflow OWNER hireflow;
SQL
