"""Engines that run the pipeline.

The local backend (numpy, scipy and numba in one process, ``dedupe.pipeline``)
is the default and needs nothing more. ``dedupe.backends.spark`` runs on
Apache Spark and is optional: ``pip install 'crawl-dedupe[spark]'``.
Stages never import a backend; a backend calls the stages.
"""
