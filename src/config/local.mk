# src/config: the option table and the parser (ini, environment, .env, command line).
libgaiarest_a_SOURCES += \
	src/config/conf_file.c \
	src/config/config.c \
	src/config/option_table.c
noinst_HEADERS += \
	src/config/conf_file.h \
	src/config/config.h \
	src/config/option.h

check_PROGRAMS += test/unit/test_config
TESTS += test/unit/test_config
test_unit_test_config_SOURCES = test/unit/test_config.c
test_unit_test_config_CFLAGS = $(GAIA_UNIT_CFLAGS)
test_unit_test_config_LDADD = $(GAIA_UNIT_LIBS)
