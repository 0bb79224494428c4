# src/cmd: one file per command plus the dispatch table (command.c).
libgaiarest_a_SOURCES += \
	src/cmd/archive_get.c \
	src/cmd/archive_push.c \
	src/cmd/check.c \
	src/cmd/command.c \
	src/cmd/help.c \
	src/cmd/restore.c \
	src/cmd/stanza_create.c \
	src/cmd/stanza_delete.c \
	src/cmd/stanza_upgrade.c \
	src/cmd/start.c \
	src/cmd/stop.c \
	src/cmd/version.c
noinst_HEADERS += \
	src/cmd/command.h
# info (branch info)
libgaiarest_a_SOURCES += src/cmd/info.c
noinst_HEADERS += src/cmd/info.h
# backup (branch backup)
libgaiarest_a_SOURCES += src/cmd/backup.c
# info --output=prometheus (branch docs)
libgaiarest_a_SOURCES += src/cmd/info_prometheus.c
noinst_HEADERS += src/cmd/info_prometheus.h
check_PROGRAMS += test/unit/test_metrics
TESTS += test/unit/test_metrics
test_unit_test_metrics_SOURCES = test/unit/test_metrics.c
test_unit_test_metrics_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_metrics_LDADD = $(GAIA_UNIT_LIBS)
# expire, verify (branch expire)
libgaiarest_a_SOURCES += src/cmd/expire.c src/cmd/verify.c
# repo-ls, repo-get
libgaiarest_a_SOURCES += src/cmd/repo_get.c src/cmd/repo_ls.c src/cmd/repo_tool.c
# annotate
libgaiarest_a_SOURCES += src/cmd/annotate.c
noinst_HEADERS += src/cmd/repo_tool.h
