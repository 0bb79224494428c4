# src/storage: the storage interface, its drivers and the streaming filters.
libgaiarest_a_SOURCES += \
	src/storage/storage.c \
	src/storage/posix.c
noinst_HEADERS += \
	src/storage/storage.h \
	src/storage/posix.h
