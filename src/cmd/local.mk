# src/cmd: one file per command plus the dispatch table (command.c).
libgaiarest_a_SOURCES += \
	src/cmd/check.c \
	src/cmd/command.c \
	src/cmd/help.c \
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
# expire, verify (branch expire)
libgaiarest_a_SOURCES += src/cmd/expire.c src/cmd/verify.c
