"""Figures of the site drawn from the models as SVG: sequence diagrams (:mod:`.sequence`),
bit layouts of the MIKEY payloads (:mod:`.bitlayout`) and role state diagrams (:mod:`.states`).

Each figure is a pure function of a model; :mod:`.svg` holds the drawing primitives and the
text-width estimate every layout sizes itself with.  The ``mckm-sequence``, ``mckm-bitlayout``
and ``mckm-states`` directives of ``docs/splice.py`` embed them inline (:func:`.svg.embed`), so
a figure needs no image file, no external service and no JavaScript.
"""
