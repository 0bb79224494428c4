# test/integration: scripts that run real PostgreSQL, stock pgBackRest and S3 (see Makefile.am)
# The scripts print TAP; they find the binary under test through GAIAREST.
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = GAIAREST='$(abs_top_builddir)/gaiarest'; \
	export GAIAREST;
TESTS += test/integration/test_restore.sh
EXTRA_DIST += test/integration/lib.sh
