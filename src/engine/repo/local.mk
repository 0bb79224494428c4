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
GAIA_EXAMPLES = $(abs_top_srcdir)/test/data/repo-format
EXTRA_DIST += test/data
libgaiarest_a_SOURCES += \
	src/engine/repo/info_file.c \
	src/engine/repo/info_archive.c \
	src/engine/repo/info_backup.c \
	src/engine/repo/manifest.c
noinst_HEADERS += \
	src/engine/repo/info_file.h \
	src/engine/repo/info_archive.h \
	src/engine/repo/info_backup.h \
	src/engine/repo/manifest.h
check_PROGRAMS += test/unit/test_info
TESTS += test/unit/test_info
test_unit_test_info_SOURCES = test/unit/test_info.c
test_unit_test_info_CFLAGS = $(GAIA_UNIT_CFLAGS) -DGAIA_EXAMPLES='"$(GAIA_EXAMPLES)"'
test_unit_test_info_LDADD = $(GAIA_UNIT_LIBS)
check_PROGRAMS += test/unit/test_manifest
TESTS += test/unit/test_manifest
test_unit_test_manifest_SOURCES = test/unit/test_manifest.c
test_unit_test_manifest_CFLAGS = $(GAIA_UNIT_CFLAGS) -DGAIA_EXAMPLES='"$(GAIA_EXAMPLES)"'
test_unit_test_manifest_LDADD = $(GAIA_UNIT_LIBS)
libgaiarest_a_SOURCES += src/engine/repo/manifest_build.c
noinst_HEADERS += src/engine/repo/manifest_build.h
check_PROGRAMS += test/unit/test_manifest_build
TESTS += test/unit/test_manifest_build
test_unit_test_manifest_build_SOURCES = test/unit/test_manifest_build.c
test_unit_test_manifest_build_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_manifest_build_LDADD = $(GAIA_UNIT_LIBS)
