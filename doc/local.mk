# doc: man page, command reference and user guide.
# doc/gaiarest.1 and doc/command-reference.md are generated from the option table by doc/gaiarest-docgen and
# committed (so that building and installing need no generator run); `make update-docs` rewrites them and
# doc/test_docs.sh fails when the committed files differ from what the generator writes.
dist_man_MANS += doc/gaiarest.1
check_PROGRAMS += doc/gaiarest-docgen
doc_gaiarest_docgen_SOURCES = doc/docgen.c
doc_gaiarest_docgen_LDADD = libgaiarest.a $(GAIA_LIBS)
TESTS += doc/test_docs.sh
EXTRA_DIST += doc/gaiarest.1.in doc/test_docs.sh

update-docs: doc/gaiarest-docgen$(EXEEXT)
	./doc/gaiarest-docgen$(EXEEXT) markdown >$(srcdir)/doc/command-reference.md.tmp
	mv $(srcdir)/doc/command-reference.md.tmp $(srcdir)/doc/command-reference.md
	./doc/gaiarest-docgen$(EXEEXT) man $(srcdir)/doc/gaiarest.1.in >$(srcdir)/doc/gaiarest.1.tmp
	mv $(srcdir)/doc/gaiarest.1.tmp $(srcdir)/doc/gaiarest.1
.PHONY: update-docs

# info --output=prometheus: integration test (promtool + comparison with the JSON output)
TESTS += test/integration/test_metrics.sh
EXTRA_DIST += test/integration/metrics_compare.py
