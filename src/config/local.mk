# src/config: the option table and the parser (ini, environment, .env, command line).
noinst_HEADERS += \
	src/config/config.h
