# src/storage/filter: the streaming filter pipeline and its filters.
libgaiarest_a_SOURCES += \
	src/storage/filter/filter.c \
	src/storage/filter/hash.c \
	src/storage/filter/compress.c \
	src/storage/filter/lz4_parallel.c \
	src/storage/filter/cipher.c
noinst_HEADERS += \
	src/storage/filter/filter.h \
	src/storage/filter/hash.h \
	src/storage/filter/compress.h \
	src/storage/filter/cipher.h

check_PROGRAMS += test/unit/test_filter
TESTS += test/unit/test_filter
test_unit_test_filter_SOURCES = test/unit/test_filter.c
test_unit_test_filter_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_filter_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSPEC_EXAMPLES_DIR='"$(abs_top_srcdir)/test/data/repo-format"'
test_unit_test_filter_LDADD = $(GAIA_UNIT_LIBS)
