# src/cmd: sources of this layer (see Makefile.am)
