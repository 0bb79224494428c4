# src/storage/filter: the streaming filter pipeline and its filters.
noinst_HEADERS += \
	src/storage/filter/filter.h \
	src/storage/filter/hash.h \
	src/storage/filter/compress.h \
	src/storage/filter/cipher.h
