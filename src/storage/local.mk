# src/storage: the storage interface, its drivers and the streaming filters.
noinst_HEADERS += \
	src/storage/storage.h \
	src/storage/posix.h
