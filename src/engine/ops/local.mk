# src/engine/ops: the operations: stanza, archive push/get, backup, restore, expire, verify, locks.
libgaiarest_a_SOURCES += src/engine/ops/lock.c
noinst_HEADERS += src/engine/ops/lock.h
check_PROGRAMS += test/unit/test_lock
TESTS += test/unit/test_lock
test_unit_test_lock_SOURCES = test/unit/test_lock.c
test_unit_test_lock_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_lock_LDADD = $(GAIA_UNIT_LIBS)
# stanza, check (stanza-create/upgrade/delete and check)
libgaiarest_a_SOURCES += src/engine/ops/stanza.c src/engine/ops/check.c
noinst_HEADERS += src/engine/ops/stanza.h src/engine/ops/check.h
check_PROGRAMS += test/unit/test_stanza
TESTS += test/unit/test_stanza
test_unit_test_stanza_SOURCES = test/unit/test_stanza.c
test_unit_test_stanza_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_stanza_LDADD = $(GAIA_UNIT_LIBS)
libgaiarest_a_SOURCES += src/engine/ops/info.c
noinst_HEADERS += src/engine/ops/info.h
# expire, verify (branch expire)
libgaiarest_a_SOURCES += src/engine/ops/expire.c src/engine/ops/verify.c
noinst_HEADERS += src/engine/ops/expire.h src/engine/ops/verify.h
check_PROGRAMS += test/unit/test_expire
TESTS += test/unit/test_expire
test_unit_test_expire_SOURCES = test/unit/test_expire.c
test_unit_test_expire_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_expire_LDADD = $(GAIA_UNIT_LIBS)
