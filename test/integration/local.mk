# test/integration: scripts that run real PostgreSQL, stock pgBackRest and S3 (see Makefile.am)
