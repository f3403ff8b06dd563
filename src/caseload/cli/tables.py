"""Tables of plain text for the `caseload` command, laid out without rich's general table
machinery when they are simple, and printed with the very bytes rich's `Table` gives them.

A status of a large programme prints tables of thousands of rows; rich measures, wraps and
crops every cell of them through its general layout, which cost seconds. A `PlainTable`
holds only what the command's tables use (a title, a caption, columns with a header and a
justification, rows of plain strings with an optional row style). When every text is one
printable line and the table fits the width it is given, it yields the same segments as
rich's `Table` (same texts, same styles, same boundaries between segments), so a console
writes the same bytes in a terminal, to a file, with or without colour. Otherwise, and for
anything rich would wrap or crop, it hands the equivalent rich `Table` to the console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs
from rich.box import HEAVY_HEAD
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from rich.table import Table

from caseload.domain.errors import InvalidValue

__all__ = ["Justify", "PlainColumn", "PlainRow", "PlainTable", "print_table"]

Justify = Literal["left", "center", "right"]
"""How the texts of a column sit in it."""

_LINE = Segment.line()
_NULL = Style.null()
_PAD = Segment(" ", _NULL)
"""A cell's padding on either side of its text, as rich's `Padding` yields it."""


@attrs.frozen
class PlainColumn:
    """A column: its header and how its texts are justified."""

    header: str
    justify: Justify = "left"


@attrs.frozen
class PlainRow:
    """A row of plain texts (never read as markup), and the style of the whole row (a rich
    style definition such as "red"), if any."""

    cells: tuple[str, ...]
    style: str | None = None


def _one_cell_per_column(
    table: PlainTable, _: attrs.Attribute[tuple[PlainRow, ...]], rows: tuple[PlainRow, ...]
) -> None:
    for number, row in enumerate(rows, 1):
        if len(row.cells) != len(table.columns):
            cells = len(row.cells)
            raise InvalidValue(
                f"row {number} of table {table.title!r} has {cells} "
                f"cell{'' if cells == 1 else 's'}; a row has one cell per column and the "
                f"table has {len(table.columns)} columns"
            )


@attrs.frozen
class PlainTable:
    """A table of plain texts that prints exactly as rich's `Table` prints its `to_rich()`
    (heavy head box, bold header, italic title and caption, centred), at a fraction of
    rich's cost when every text is one printable line and the table fits its width."""

    columns: tuple[PlainColumn, ...]
    rows: tuple[PlainRow, ...] = attrs.field(default=(), validator=_one_cell_per_column)
    title: str | None = None
    caption: str | None = None

    def to_rich(self) -> Table:
        """The equivalent rich `Table`: every text a `Text`, so none is read as markup."""
        # Imported here: a table printed by this module needs none (0.01 s at start-up).
        from rich.table import Table

        table = Table(
            title=None if self.title is None else Text(self.title, style="table.title"),
            caption=None if self.caption is None else Text(self.caption, style="table.caption"),
        )
        for column in self.columns:
            table.add_column(Text(column.header), justify=column.justify)
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row.cells), style=row.style)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return _render(self, console, options, whole_lines=False)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.to_rich())


@attrs.frozen
class _PrintedDirectly:
    """A table that `print_table` hands to the console itself, with no style laid over
    it: its unstyled segments can go a line at a time without changing a byte."""

    table: PlainTable
    layout: _Layout | None
    """The table's layout on the console printed to (None when rich lays it out)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.layout is None:
            return [self.table.to_rich()]
        return self.layout.segments(self.table, console, options, whole_lines=True)


def print_table(console: Console, table: PlainTable) -> None:
    """Print `table` on `console`: the bytes of `console.print(table.to_rich())`, written
    a line at a time where rich would write a segment at a time (segment by segment on a
    console with a style of its own, which it lays over each segment).

    A table laid out here fits the console's width, so rich is spared cropping its lines:
    measuring each line, whose box characters rich measures one by one, cost as much as
    laying the table out."""
    if console.style is not None:
        console.print(table)
        return
    layout = _Layout.of(table, console, console.options)
    console.print(_PrintedDirectly(table, layout), crop=layout is None)


def _render(
    table: PlainTable, console: Console, options: ConsoleOptions, *, whole_lines: bool
) -> RenderResult:
    layout = _Layout.of(table, console, options)
    if layout is None:
        return [table.to_rich()]
    return layout.segments(table, console, options, whole_lines=whole_lines)


def _simple(text: str) -> bool:
    """One line of printable characters (the ASCII space the only white space), so rich
    neither splits, expands nor strips anything in it."""
    return text.isprintable()


@attrs.frozen
class _Layout:
    """The widths of a table that fits as it is, and the box it is drawn with."""

    widths: tuple[int, ...]
    """Each column's width, padding included, as rich computes it for a table that fits."""
    lengths: tuple[tuple[int, ...], ...]
    """The cell length of each header (first) and of each row's texts."""
    left: tuple[str, str, str]
    """The left edge of the header row, the middle rows and the last row."""
    divider: tuple[str, str, str]
    right: tuple[str, str, str]
    top: str
    head: str
    bottom: str

    @classmethod
    def of(cls, table: PlainTable, console: Console, options: ConsoleOptions) -> _Layout | None:
        """The layout when rich would lay the table out without wrapping, cropping or
        squeezing a column, else None."""
        columns = table.columns
        if not columns:
            return None
        texts = [tuple(column.header for column in columns)]
        texts += [row.cells for row in table.rows]
        if not all(_simple(text) for line in texts for text in line):
            return None
        lengths = tuple(tuple(cell_len(text) for text in line) for line in texts)
        content = [max(column) for column in zip(*lengths, strict=True)]
        if not all(content):
            return None  # rich draws a column empty in every row as one blank segment
        widths = tuple(width + 2 for width in content)
        table_width = sum(widths) + len(columns) + 1
        if table_width > options.max_width:
            return None
        box = HEAVY_HEAD.substitute(options, safe=console.safe_box)
        verticals = (box.head_vertical, box.mid_vertical, box.foot_vertical)
        if not all(vertical.strip() for vertical in verticals):
            return None  # rich gives a blank divider the row's background
        return cls(
            widths=widths,
            lengths=lengths,
            left=(box.head_left, box.mid_left, box.foot_left),
            divider=verticals,
            right=(box.head_right, box.mid_right, box.foot_right),
            top=box.get_top(widths),
            head=box.get_row(list(widths), "head", edge=True),
            bottom=box.get_bottom(widths),
        )

    def segments(
        self, table: PlainTable, console: Console, options: ConsoleOptions, *, whole_lines: bool
    ) -> list[Segment]:
        """The segments rich's `Table` yields for this table, boundaries included; with
        `whole_lines`, a line without a style (a rule, an unstyled row) as one segment,
        its newline included."""
        table_width = sum(self.widths) + len(self.widths) + 1
        found: list[Segment] = []
        if table.title:
            found += _note(table.title, "table.title", table_width, console, options)
        found += self._rule(self.top, whole_lines=whole_lines)
        justify = [column.justify for column in table.columns]
        header = tuple(column.header for column in table.columns)
        header_style = console.get_style("table.header") + console.get_style("")
        found += self._row(header, self.lengths[0], justify, header_style, 0, whole_lines)
        found += self._rule(self.head, whole_lines=whole_lines)
        styles: dict[str, Style] = {}
        last = len(table.rows)
        for number, row in enumerate(table.rows, 1):
            style = _NULL
            if row.style is not None:
                if row.style not in styles:
                    styles[row.style] = _NULL + console.get_style(row.style)
                style = styles[row.style]
            place = 2 if number == last else 1
            found += self._row(row.cells, self.lengths[number], justify, style, place, whole_lines)
        found += self._rule(self.bottom, whole_lines=whole_lines)
        if table.caption:
            found += _note(table.caption, "table.caption", table_width, console, options)
        return found

    @staticmethod
    def _rule(line: str, *, whole_lines: bool) -> list[Segment]:
        """A line of the box between rows (its top, below the header, its bottom)."""
        if whole_lines:
            return [Segment(line + "\n")]
        return [Segment(line, _NULL), _LINE]

    def _row(
        self,
        texts: tuple[str, ...],
        lengths: tuple[int, ...],
        justify: list[Justify],
        style: Style,
        place: int,
        whole_lines: bool,
    ) -> list[Segment]:
        """One row: its left edge, then per cell the padding, the justified text and the
        padding (each in the row's style), with a divider between cells; the right edge."""
        cells = [
            _justified(text, length, width - 2, how)
            for text, length, width, how in zip(texts, lengths, self.widths, justify, strict=True)
        ]
        left, divider, right = self.left[place], self.divider[place], self.right[place]
        if whole_lines and not style:
            return [Segment(left + divider.join([f" {cell} " for cell in cells]) + right + "\n")]
        pad = Segment(" ", style) if style else _PAD
        text_style = style or None
        between = Segment(divider, _NULL)
        found = [Segment(left, _NULL)]
        for index, cell in enumerate(cells):
            if index:
                found.append(between)
            found += (pad, Segment(cell, text_style), pad)
        found += (Segment(right, _NULL), _LINE)
        return found


def _justified(text: str, length: int, width: int, justify: Justify) -> str:
    """`text` (of cell length `length`) in `width` cells as rich's `Lines.justify` sets it:
    left-justified text keeps its trailing spaces, right and centred text loses them."""
    if justify == "left":
        return text + " " * (width - length)
    stripped = text.rstrip()
    if len(stripped) != len(text):
        length = cell_len(stripped)
    space = width - length
    if justify == "right":
        return " " * space + stripped
    before = space // 2
    return " " * before + stripped + " " * (space - before)


def _note(
    text: str, style: str, width: int, console: Console, options: ConsoleOptions
) -> list[Segment]:
    """A title or caption centred over the table's width: one styled segment when it is
    one simple line that fits, else rich's own rendering of it, wrapped to that width
    (as rich's `Table` renders its title and caption)."""
    length = cell_len(text)
    if length <= width and _simple(text):
        return [
            Segment(_justified(text, length, width, "center"), _NULL + console.get_style(style)),
            _LINE,
        ]
    wrapped = options.update(width=width, highlight=False, height=None, justify="center")
    return list(console.render(Text(text, style=style), wrapped))
