# src/engine/repo: the repository format: info files, manifests, layout.
libgaiarest_a_SOURCES += src/engine/repo/layout.c
noinst_HEADERS += src/engine/repo/layout.h
check_PROGRAMS += test/unit/test_layout
TESTS += test/unit/test_layout
test_unit_test_layout_SOURCES = test/unit/test_layout.c
test_unit_test_layout_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_layout_LDADD = $(GAIA_UNIT_LIBS)
libgaiarest_a_SOURCES += src/engine/repo/repo.c
noinst_HEADERS += src/engine/repo/repo.h
