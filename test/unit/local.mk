# test/unit: Check suites (see Makefile.am). Each suite: check_PROGRAMS += test/unit/test_x, TESTS += test/unit/test_x
# cmd/info renderers (size formatter, text and JSON of hand-made reports)
check_PROGRAMS += test/unit/test_info_render
TESTS += test/unit/test_info_render
test_unit_test_info_render_SOURCES = test/unit/test_info_render.c
test_unit_test_info_render_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_info_render_LDADD = $(GAIA_UNIT_LIBS)
