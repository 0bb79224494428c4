# test/fuzz: fuzz targets (see test/fuzz/fuzz.h). make check replays each one's seed corpus
# (test/fuzz/corpus/<target>); scripts/fuzz.sh builds them with libFuzzer and explores from there.
FUZZ_REPLAY_SOURCES = test/fuzz/fuzz.h test/fuzz/fuzz_common.c test/fuzz/replay.c
EXTRA_DIST += scripts/fuzz.sh test/fuzz/make-corpus.py

check_PROGRAMS += test/fuzz/fuzz_info
TESTS += test/fuzz/fuzz_info
test_fuzz_fuzz_info_SOURCES = test/fuzz/fuzz_info.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_info_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_info"'
test_fuzz_fuzz_info_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_json
TESTS += test/fuzz/fuzz_json
test_fuzz_fuzz_json_SOURCES = test/fuzz/fuzz_json.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_json_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_json"'
test_fuzz_fuzz_json_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_xml
TESTS += test/fuzz/fuzz_xml
test_fuzz_fuzz_xml_SOURCES = test/fuzz/fuzz_xml.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_xml_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_xml"'
test_fuzz_fuzz_xml_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_filter
TESTS += test/fuzz/fuzz_filter
test_fuzz_fuzz_filter_SOURCES = test/fuzz/fuzz_filter.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_filter_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_filter"'
test_fuzz_fuzz_filter_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_pg
TESTS += test/fuzz/fuzz_pg
test_fuzz_fuzz_pg_SOURCES = test/fuzz/fuzz_pg.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_pg_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_pg"'
test_fuzz_fuzz_pg_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_conf
TESTS += test/fuzz/fuzz_conf
test_fuzz_fuzz_conf_SOURCES = test/fuzz/fuzz_conf.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_conf_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_conf"'
test_fuzz_fuzz_conf_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_page
TESTS += test/fuzz/fuzz_page
test_fuzz_fuzz_page_SOURCES = test/fuzz/fuzz_page.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_page_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_page"'
test_fuzz_fuzz_page_LDADD = libgaiarest.a $(GAIA_LIBS)

check_PROGRAMS += test/fuzz/fuzz_sigv4
TESTS += test/fuzz/fuzz_sigv4
test_fuzz_fuzz_sigv4_SOURCES = test/fuzz/fuzz_sigv4.c $(FUZZ_REPLAY_SOURCES)
test_fuzz_fuzz_sigv4_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/test/fuzz/corpus/fuzz_sigv4"'
test_fuzz_fuzz_sigv4_LDADD = libgaiarest.a $(GAIA_LIBS)

# The libraries a target links (for scripts/fuzz.sh, which links them with clang's libFuzzer).
.PHONY: fuzz-print-libs
fuzz-print-libs:
	@echo $(GAIA_LIBS)
