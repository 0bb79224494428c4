# src/protocol: parallel workers (pool) and their jobs.
libgaiarest_a_SOURCES += src/protocol/pool.c
noinst_HEADERS += src/protocol/pool.h
check_PROGRAMS += test/unit/test_pool
TESTS += test/unit/test_pool
test_unit_test_pool_SOURCES = test/unit/test_pool.c
test_unit_test_pool_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_pool_LDADD = $(GAIA_UNIT_LIBS)
