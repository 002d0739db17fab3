-- The team's Pulumi state in PostgreSQL (docs/team.md): one database and one role that can use only it.
-- Run once by a database admin:
--   psql "host=<db host> user=postgres dbname=postgres sslmode=verify-full" -v password="$PULUMI_STATE_DB_PASSWORD" -f scripts/team-state.sql
-- The role logs in with a password, creates nothing outside its own schema, and cannot create roles or
-- databases. Pulumi creates its one table (pulumi_state) in that schema on first login.
\set ON_ERROR_STOP on

CREATE ROLE pulumi_state LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT 20;
CREATE DATABASE pulumi_state;
-- Nobody else connects to it; the role connects to nothing else.
REVOKE ALL ON DATABASE pulumi_state FROM PUBLIC;
GRANT CONNECT ON DATABASE pulumi_state TO pulumi_state;

\connect pulumi_state
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA pulumi AUTHORIZATION pulumi_state;
-- Pulumi names its table without a schema: the role finds and creates it in its own schema.
ALTER ROLE pulumi_state IN DATABASE pulumi_state SET search_path = pulumi;
