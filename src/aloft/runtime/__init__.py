"""aloft's runtime: what ships inside users' images and Lambda zips. Standard library only."""

__version__ = "0.1.0"
