# src/engine/repo: the repository format: info files, manifests, layout.
libgaiarest_a_SOURCES += src/engine/repo/info_file.c
