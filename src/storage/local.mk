# src/storage: the storage interface, its drivers and the streaming filters.
noinst_HEADERS += \
	src/storage/storage.h \
	src/storage/posix.h \
	src/storage/filter/filter.h \
	src/storage/filter/hash.h \
	src/storage/filter/compress.h \
	src/storage/filter/cipher.h
