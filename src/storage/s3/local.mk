# src/storage/s3: the S3/R2 storage driver (SigV4 signing, XML bodies, HTTP over libcurl, the driver).
libgaiarest_a_SOURCES += \
	src/storage/s3/sigv4.c \
	src/storage/s3/xml.c \
	src/storage/s3/http.c \
	src/storage/s3/s3.c
noinst_HEADERS += \
	src/storage/s3/sigv4.h \
	src/storage/s3/xml.h \
	src/storage/s3/http.h \
	src/storage/s3/s3.h

check_PROGRAMS += test/unit/test_s3_sigv4 test/unit/test_s3_xml
TESTS += test/unit/test_s3_sigv4 test/unit/test_s3_xml
test_unit_test_s3_sigv4_SOURCES = test/unit/test_s3_sigv4.c
test_unit_test_s3_sigv4_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_s3_sigv4_LDADD = $(GAIA_UNIT_LIBS)
test_unit_test_s3_xml_SOURCES = test/unit/test_s3_xml.c
test_unit_test_s3_xml_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_s3_xml_LDADD = $(GAIA_UNIT_LIBS)

# Against a real local S3 server (s3rver, see test/s3/s3rver-start.sh); skipped when it is not installed.
check_PROGRAMS += test/unit/test_s3
TESTS += test/unit/test_s3
test_unit_test_s3_SOURCES = test/unit/test_s3.c
test_unit_test_s3_CFLAGS = $(GAIA_UNIT_CFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)"'
test_unit_test_s3_LDADD = $(GAIA_UNIT_LIBS)

# gaia-s3tool: put/get/ls/rm and info files on a configured repository, for the S3 integration scripts
# (test/integration/test_s3_*.sh); built by `make check`, not a test itself.
check_PROGRAMS += test/s3/gaia-s3tool
test_s3_gaia_s3tool_SOURCES = test/s3/gaia-s3tool.c
test_s3_gaia_s3tool_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_s3_gaia_s3tool_LDADD = $(GAIA_UNIT_LIBS)
EXTRA_DIST += test/s3/s3proxy.py test/s3/s3rver-start.sh test/s3/lib-s3.sh test/s3/README.md
