"""Imported by the fork server alone, as its preload (:meth:`dedupe.executor.parallel.Workers`
asks for it when it starts the server from the run's main thread): the
kernel kills the server when the run dies, and with it every worker forked
from it (:mod:`dedupe.executor.lifeline`). Nothing else imports this module: in any
other process it would tie that process to its parent."""

from .lifeline import die_with_parent

die_with_parent()
