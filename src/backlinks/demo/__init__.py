"""Demo data: a deterministic synthetic web (:mod:`.synthweb`) and a WARC writer
(:mod:`.warcwrite`), so ``make demo`` and the tests run offline on realistic archives."""

from __future__ import annotations

from backlinks.demo.synthweb import SiteInfo, SynthPage, SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc

__all__ = ["SiteInfo", "SynthPage", "SynthWeb", "evolve", "generate_web", "write_warc"]
