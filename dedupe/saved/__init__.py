"""The saved model: what one crawl taught, applied to the next without
reprocessing it (``dedupe learn``, ``dedupe clean --model``).

* :mod:`.files` — the model folder: its tables, the manifest
  (``model.json``: format version, the config a model must be applied
  with, counts, each file's sha256), written atomically and checked when read.
* :mod:`.evidence` — a model made from a run (learning), or folded into
  one already saved (``--update``).
* :mod:`.apply` — a new crawl meets the model: the earlier pages that share
  a block or an article with new pages come back into the run, templates
  known before are templates again, and the report names the earlier pages.

docs/learn.md tells why it is made this way.
"""

from .files import FORMAT_VERSION, Model, ModelError, check_writable, load, save

__all__ = ["FORMAT_VERSION", "Model", "ModelError", "check_writable", "load", "save"]
