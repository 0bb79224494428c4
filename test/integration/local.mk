# test/integration: scripts that run real PostgreSQL, stock pgBackRest and S3 (see Makefile.am)
# The scripts print TAP; they find the binary through GAIAREST and share one stock-pgBackRest fixture per build
# directory through GAIA_FIXTURE_DIR (built by the first script that needs it, removed by `make clean`).
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = GAIAREST='$(abs_top_builddir)/gaiarest'; \
	GAIA_FIXTURE_DIR='$(abs_top_builddir)/test/integration/fixture.d'; \
	GAIA_RESAVE='$(abs_top_builddir)/test/tools/gaia-resave'; \
	export GAIAREST GAIA_FIXTURE_DIR GAIA_RESAVE;
TESTS += test/integration/test_info.sh test/integration/test_info_files.sh
EXTRA_DIST += test/integration/lib.sh test/integration/fixture-stock.sh test/integration/info_edit.py
# S3: stock pgBackRest and gaiarest on one bucket, and faults, through test/s3/s3proxy.py (needs test/s3/gaia-s3tool)
TESTS += test/integration/test_s3_interop.sh test/integration/test_s3_faults.sh test/integration/test_s3_commands.sh

clean-local: clean-local-integration
clean-local-integration:
	-rm -rf test/integration/fixture.d test/integration/fixture.d.lock
.PHONY: clean-local-integration
TESTS += test/integration/test_stanza.sh test/integration/test_check.sh
TESTS += test/integration/test_restore.sh test/integration/test_backup.sh test/integration/test_backup_resume.sh

# gaia-resave: load an info file or manifest with the repository codecs and save it elsewhere (test_info_files.sh)
check_PROGRAMS += test/tools/gaia-resave
test_tools_gaia_resave_SOURCES = test/tools/gaia-resave.c
test_tools_gaia_resave_CFLAGS = $(AM_CFLAGS)
test_tools_gaia_resave_LDADD = libgaiarest.a $(GAIA_LIBS)
TESTS += test/integration/test_archive.sh
TESTS += test/integration/test_archive_segsize.sh
TESTS += test/integration/test_expire.sh test/integration/test_verify.sh
# contrib/gaia/setup-primary.sh and setup-replica.sh on two clusters and S3 (runs the scripts as root)
TESTS += test/integration/test_gaia_setup.sh
TESTS += test/integration/test_archive_async.sh
# repo-ls, repo-get against stock on the fixture repositories
TESTS += test/integration/test_repo_tools.sh
# automake does not distribute TESTS scripts by itself: every integration script is listed here.
EXTRA_DIST += test/integration/test_info.sh test/integration/test_info_files.sh test/integration/test_s3_interop.sh \
	test/integration/test_s3_faults.sh test/integration/test_stanza.sh test/integration/test_check.sh \
	test/integration/test_restore.sh test/integration/test_backup.sh test/integration/test_backup_resume.sh \
	test/integration/test_archive.sh test/integration/test_archive_segsize.sh test/integration/test_expire.sh \
	test/integration/test_verify.sh test/integration/test_gaia_setup.sh test/integration/test_archive_async.sh \
	test/integration/test_metrics.sh test/integration/test_s3_commands.sh test/integration/test_repo_tools.sh
