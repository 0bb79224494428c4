# src/storage: the storage interface, its drivers and the streaming filters.
libgaiarest_a_SOURCES += \
	src/storage/storage.c \
	src/storage/posix.c
noinst_HEADERS += \
	src/storage/storage.h \
	src/storage/posix.h

check_PROGRAMS += test/unit/test_storage_posix
TESTS += test/unit/test_storage_posix
test_unit_test_storage_posix_SOURCES = test/unit/test_storage_posix.c
test_unit_test_storage_posix_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_storage_posix_LDADD = $(GAIA_UNIT_LIBS)
