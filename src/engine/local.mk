# src/engine: sources of this layer (see Makefile.am)
