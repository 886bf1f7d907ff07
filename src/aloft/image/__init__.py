"""Container images without a daemon: base -> layers -> image -> layout/tarball or registry.

`base` builds a minimal Python root filesystem from Debian packages, `build` turns a project into
layers and an OCI image, `layout` writes it to disk, `registry` publishes it. Stages hand each other
plain values (`Layer`, `Image`, `ImageIndex`), never reach back.
"""
