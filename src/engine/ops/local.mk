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
libgaiarest_a_SOURCES += src/engine/ops/restore.c src/engine/ops/restore_file.c src/engine/ops/restore_recovery.c
noinst_HEADERS += src/engine/ops/restore.h src/engine/ops/restore_file.h src/engine/ops/restore_recovery.h
check_PROGRAMS += test/unit/test_restore
TESTS += test/unit/test_restore
test_unit_test_restore_SOURCES = test/unit/test_restore.c
test_unit_test_restore_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_restore_LDADD = $(GAIA_UNIT_LIBS)
# backup (branch backup)
libgaiarest_a_SOURCES += src/engine/ops/backup.c src/engine/ops/backup_file.c
noinst_HEADERS += src/engine/ops/backup.h src/engine/ops/backup_file.h
# archive-push / archive-get (synchronous)
libgaiarest_a_SOURCES += src/engine/ops/archive_push.c src/engine/ops/archive_get.c src/engine/ops/hash_thread.c
noinst_HEADERS += src/engine/ops/archive_push.h src/engine/ops/archive_get.h src/engine/ops/hash_thread.h
check_PROGRAMS += test/unit/test_hash_thread
TESTS += test/unit/test_hash_thread
test_unit_test_hash_thread_SOURCES = test/unit/test_hash_thread.c
test_unit_test_hash_thread_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_hash_thread_LDADD = $(GAIA_UNIT_LIBS)
# expire, verify (branch expire)
libgaiarest_a_SOURCES += src/engine/ops/expire.c src/engine/ops/verify.c
noinst_HEADERS += src/engine/ops/expire.h src/engine/ops/verify.h
check_PROGRAMS += test/unit/test_expire
TESTS += test/unit/test_expire
test_unit_test_expire_SOURCES = test/unit/test_expire.c
test_unit_test_expire_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_expire_LDADD = $(GAIA_UNIT_LIBS)
# progress: percent, rate and ETA of backup and restore (terminal status line, detail log)
libgaiarest_a_SOURCES += src/engine/ops/progress.c
noinst_HEADERS += src/engine/ops/progress.h
check_PROGRAMS += test/unit/test_progress
TESTS += test/unit/test_progress
test_unit_test_progress_SOURCES = test/unit/test_progress.c
test_unit_test_progress_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_progress_LDADD = $(GAIA_UNIT_LIBS)
# archive-async: spool queue and background processes of archive-push/archive-get
libgaiarest_a_SOURCES += src/engine/ops/archive_async.c
noinst_HEADERS += src/engine/ops/archive_async.h
check_PROGRAMS += test/unit/test_archive_async
TESTS += test/unit/test_archive_async
test_unit_test_archive_async_SOURCES = test/unit/test_archive_async.c
test_unit_test_archive_async_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_archive_async_LDADD = $(GAIA_UNIT_LIBS)
