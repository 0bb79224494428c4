# src/engine/pg: PostgreSQL facts: pg_control, WAL header, page checksums, versions, libpq.
libgaiarest_a_SOURCES += src/engine/pg/wal.c
noinst_HEADERS += src/engine/pg/wal.h
check_PROGRAMS += test/unit/test_wal
TESTS += test/unit/test_wal
test_unit_test_wal_SOURCES = test/unit/test_wal.c
test_unit_test_wal_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_wal_LDADD = $(GAIA_UNIT_LIBS)
# control, version (repofmt)
libgaiarest_a_SOURCES += src/engine/pg/control.c src/engine/pg/version.c
noinst_HEADERS += src/engine/pg/control.h src/engine/pg/version.h
check_PROGRAMS += test/unit/test_pg_control
TESTS += test/unit/test_pg_control
test_unit_test_pg_control_SOURCES = test/unit/test_pg_control.c
test_unit_test_pg_control_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_pg_control_LDADD = $(GAIA_UNIT_LIBS)
