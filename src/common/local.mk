# src/common: error record, memory, buffers, logging, JSON, INI, time.
libgaiarest_a_SOURCES += \
	src/common/buf.c \
	src/common/error.c \
	src/common/mem.c
noinst_HEADERS += \
	src/common/buf.h \
	src/common/error.h \
	src/common/log.h \
	src/common/mem.h \
	include/gaiarest/version.h
libgaiarest_a_SOURCES += src/common/log.c
