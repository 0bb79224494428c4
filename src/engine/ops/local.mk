# src/engine/ops: the operations: stanza, archive push/get, backup, restore, expire, verify, locks.
libgaiarest_a_SOURCES += src/engine/ops/info.c
noinst_HEADERS += src/engine/ops/info.h
