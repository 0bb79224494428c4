# src/engine/repo: the repository format: info files, manifests, layout.
