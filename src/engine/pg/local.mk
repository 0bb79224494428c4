# src/engine/pg: PostgreSQL facts: pg_control, WAL header, page checksums, versions, libpq.
libgaiarest_a_SOURCES += src/engine/pg/wal.c
noinst_HEADERS += src/engine/pg/wal.h
check_PROGRAMS += test/unit/test_wal
TESTS += test/unit/test_wal
test_unit_test_wal_SOURCES = test/unit/test_wal.c
test_unit_test_wal_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_wal_LDADD = $(GAIA_UNIT_LIBS)
libgaiarest_a_SOURCES += src/engine/pg/page.c
noinst_HEADERS += src/engine/pg/page.h
check_PROGRAMS += test/unit/test_page
TESTS += test/unit/test_page
test_unit_test_page_SOURCES = test/unit/test_page.c
test_unit_test_page_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_page_LDADD = $(GAIA_UNIT_LIBS)
