# src/protocol: sources of this layer (see Makefile.am)
