# src/common: error record, memory, buffers, logging, JSON, INI, time.
libgaiarest_a_SOURCES += \
	src/common/buf.c \
	src/common/error.c \
	src/common/mem.c \
	src/common/strlist.c
noinst_HEADERS += \
	src/common/buf.h \
	src/common/error.h \
	src/common/log.h \
	src/common/mem.h \
	src/common/strlist.h \
	src/common/target_clones.h \
	include/gaiarest/version.h
libgaiarest_a_SOURCES += src/common/log.c
# json: pgBackRest's JSON dialect (repofmt)
libgaiarest_a_SOURCES += src/common/json.c
noinst_HEADERS += src/common/json.h
check_PROGRAMS += test/unit/test_json
TESTS += test/unit/test_json
test_unit_test_json_SOURCES = test/unit/test_json.c
test_unit_test_json_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_json_LDADD = $(GAIA_UNIT_LIBS)
# strlist: a growable list of owned strings
check_PROGRAMS += test/unit/test_strlist
TESTS += test/unit/test_strlist
test_unit_test_strlist_SOURCES = test/unit/test_strlist.c
test_unit_test_strlist_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_strlist_LDADD = $(GAIA_UNIT_LIBS)
# error: the thread-local error record, kept aside and restored
check_PROGRAMS += test/unit/test_error
TESTS += test/unit/test_error
test_unit_test_error_SOURCES = test/unit/test_error.c
test_unit_test_error_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_error_LDADD = $(GAIA_UNIT_LIBS)
