"""Link quality: spam mass, link networks, toxic-link scores with reasons, disavow files.

Modules: :mod:`.hostspam` (host-level link features and spam score), :mod:`.anchors`
(anchor-text classes), :mod:`.signals` (per-backlink and per-domain evidence),
:mod:`.toxic` (scores and reasons), :mod:`.disavow` (Google's disavow file format).
"""
