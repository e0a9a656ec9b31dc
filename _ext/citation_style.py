"""Author-year citations in round brackets: "Vincent (2011)", "(Ho et al., 2020)".

sphinxcontrib-bibtex's ``author_year`` style uses square brackets; this registers the same
style with round ones as ``author_year_round`` (set as ``bibtex_reference_style``).
"""

import dataclasses

from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round",
                RoundAuthorYearReferenceStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
