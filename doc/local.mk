# doc: man page and guides
