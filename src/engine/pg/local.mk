# src/engine/pg: PostgreSQL facts: pg_control, WAL header, page checksums, versions, libpq.
