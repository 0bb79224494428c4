# src/engine/ops: the operations: stanza, archive push/get, backup, restore, expire, verify, locks.
libgaiarest_a_SOURCES += src/engine/ops/lock.c
noinst_HEADERS += src/engine/ops/lock.h
check_PROGRAMS += test/unit/test_lock
TESTS += test/unit/test_lock
test_unit_test_lock_SOURCES = test/unit/test_lock.c
test_unit_test_lock_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_lock_LDADD = $(GAIA_UNIT_LIBS)
# archive-push / archive-get (synchronous)
libgaiarest_a_SOURCES += src/engine/ops/archive_push.c src/engine/ops/archive_get.c src/engine/ops/hash_thread.c
noinst_HEADERS += src/engine/ops/archive_push.h src/engine/ops/archive_get.h src/engine/ops/hash_thread.h
libgaiarest_a_SOURCES += src/engine/ops/info.c
noinst_HEADERS += src/engine/ops/info.h
check_PROGRAMS += test/unit/test_hash_thread
TESTS += test/unit/test_hash_thread
test_unit_test_hash_thread_SOURCES = test/unit/test_hash_thread.c
test_unit_test_hash_thread_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_hash_thread_LDADD = $(GAIA_UNIT_LIBS)
