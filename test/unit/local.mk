# test/unit: Check suites (see Makefile.am). Each suite: check_PROGRAMS += test/unit/test_x, TESTS += test/unit/test_x
