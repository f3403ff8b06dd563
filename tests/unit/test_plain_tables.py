"""The plain tables the command prints: the same bytes as rich's `Table` of the same
texts, in a terminal (ANSI styles, every colour system, an ASCII-only encoding) and to a
file, whether they are laid out directly or, when they do not fit, handed to rich."""

from __future__ import annotations

from io import StringIO

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.segment import Segment

from caseload.cli.tables import Justify, PlainColumn, PlainRow, PlainTable, print_table
from caseload.domain.errors import InvalidValue

JUSTIFY: tuple[Justify, ...] = ("left", "center", "right")
SIMPLE = st.sampled_from([*"abcXYZ019 -.,%()", *"æøåÆØÅé✓·–→×"])
ODD = st.sampled_from(
    [
        "日",  # two cells wide
        "😀",  # two cells wide, outside the basic plane
        "e\u0301",  # a combining accent: no cell of its own
        "\t",  # expanded by rich: not a simple text
        "\n",  # a second line: not a simple text
        "\u00a0",  # a no-break space: white space, not a printable character
        "[bold]",  # markup, never read as such in a plain text
        ":smile:",  # an emoji code, never replaced in a plain text
        "   ",  # trailing spaces, which rich strips from right and centred texts
    ]
)


def texts(*, odd: bool, min_size: int = 0, max_size: int = 5) -> st.SearchStrategy[str]:
    """Short texts, of simple characters only unless `odd`."""
    characters = st.one_of(*[SIMPLE] * 8, ODD) if odd else SIMPLE
    return st.lists(characters, min_size=min_size, max_size=max_size).map("".join)


ROW_STYLES = st.sampled_from([None, None, "red", "bold", "on blue", "none"])


@st.composite
def tables(draw: st.DrawFn) -> PlainTable:
    """Tables of one to six columns and up to eight rows, with or without a title and a
    caption (some wider than the table), some rows in a style."""
    count = draw(st.integers(1, 6))
    odd = draw(st.integers(0, 2)) == 0
    text = texts(odd=odd)
    header = st.one_of(texts(odd=odd, min_size=1), text)
    columns = tuple(PlainColumn(draw(header), draw(st.sampled_from(JUSTIFY))) for _ in range(count))
    rows = draw(
        st.lists(
            st.builds(PlainRow, st.tuples(*([text] * count)).map(tuple), style=ROW_STYLES),
            max_size=8,
        )
    )
    return PlainTable(
        columns=columns,
        rows=tuple(rows),
        title=draw(st.none() | text | texts(odd=odd, max_size=30)),
        caption=draw(st.none() | text | texts(odd=odd, max_size=30)),
    )


class _AsciiFile(StringIO):
    """A file whose encoding has no box-drawing characters: rich draws an ASCII box."""

    @property
    def encoding(self) -> str:
        return "ascii"


@st.composite
def consoles(draw: st.DrawFn) -> Console:
    """A terminal in each colour system, or a file or pipe (no styles), of some width,
    now and then with a style of its own laid over everything it prints."""
    terminal = draw(st.booleans())
    return Console(
        file=_AsciiFile() if draw(st.integers(0, 5)) == 0 else StringIO(),
        width=draw(st.sampled_from([12, 30, 60, 80, 120, 160])),
        force_terminal=terminal,
        color_system=draw(st.sampled_from(["standard", "256", "truecolor"])) if terminal else None,
        legacy_windows=False,
        style=draw(st.sampled_from([None, None, None, "on blue"])),
    )


def printed(console: Console, print_it: object) -> str:
    """What `print_it(console)` writes on a fresh console like `console`."""
    fresh = Console(
        file=type(console.file)(),
        width=console.width,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
        legacy_windows=False,
        style=console.style,
    )
    print_it(fresh)  # type: ignore[operator]
    output = fresh.file
    assert isinstance(output, StringIO)
    return output.getvalue()


def natural_width(table: PlainTable) -> int:
    """The width of the table with every column as wide as its widest text, padded by a
    space on either side, with the box's vertical lines."""
    cells = [[column.header for column in table.columns], *[row.cells for row in table.rows]]
    content = [max(cell_len(text) for text in column) for column in zip(*cells, strict=True)]
    return sum(content) + 3 * len(content) + 1


def fits(table: PlainTable, width: int) -> bool:
    """Rich lays the table out without wrapping or cropping a cell: every text one line
    of printable characters, no column empty throughout, the whole within `width` (a
    title or caption wider than that is wrapped to the table's width either way)."""
    texts = [[column.header for column in table.columns], *[row.cells for row in table.rows]]
    if not all(text.isprintable() for line in texts for text in line):
        return False
    content = [max(cell_len(text) for text in column) for column in zip(*texts, strict=True)]
    return all(content) and natural_width(table) <= width


def table_of(*texts: str, title: str | None = None) -> PlainTable:
    """A table of one column and a row per text (the first text the header)."""
    return PlainTable(
        columns=(PlainColumn(texts[0], "right"),),
        rows=tuple(PlainRow((text,), style="red") for text in texts[1:]),
        title=title,
    )


TERMINAL = Console(file=StringIO(), width=40, force_terminal=True, color_system="standard")
STYLED = Console(file=StringIO(), width=40, force_terminal=True, style="on blue")


@example(table=table_of("a", "b"), console=STYLED)
@example(table=table_of("a", "tab\there"), console=TERMINAL)
@example(table=table_of("a", "no\u00a0break "), console=TERMINAL)
@example(table=table_of("a", "line\u2028separator"), console=TERMINAL)
@example(table=table_of("a", "e\u0301 "), console=TERMINAL)
@example(table=table_of("a", "b", title="a title longer than the table"), console=TERMINAL)
@example(table=table_of("a", "b", title="tab\tin a title"), console=TERMINAL)
@given(table=tables(), console=consoles())
def test_a_plain_table_prints_as_rich_prints_it(table: PlainTable, console: Console) -> None:
    """Printed as a renderable or with `print_table`, a plain table writes exactly the
    bytes that rich's `Table` of the same texts writes."""
    event("laid out directly" if fits(table, console.width) else "handed to rich")
    expected = printed(console, lambda c: c.print(table.to_rich()))
    assert printed(console, lambda c: c.print(table)) == expected
    assert printed(console, lambda c: print_table(c, table)) == expected


@given(table=tables(), console=consoles(), style=st.sampled_from(["bold", "on red", "italic"]))
def test_a_style_laid_over_a_plain_table_gives_rich_bytes(
    table: PlainTable, console: Console, style: str
) -> None:
    """A style laid over the table (printed in a style, or padded in a styled `Padding`)
    meets the same segments as over rich's `Table`, so the bytes are the same."""
    expected = printed(console, lambda c: c.print(table.to_rich(), style=style))
    assert printed(console, lambda c: c.print(table, style=style)) == expected
    padded = printed(console, lambda c: c.print(Padding(table.to_rich(), (0, 2), style=style)))
    assert printed(console, lambda c: c.print(Padding(table, (0, 2), style=style))) == padded


@example(table=table_of("ab", "c", title="ab"), console=TERMINAL, slack=-1)
@example(table=table_of("ab", "c", title="ab"), console=TERMINAL, slack=0)
@given(table=tables(), console=consoles(), slack=st.integers(-2, 2))
def test_a_table_as_wide_as_the_console_or_wider(
    table: PlainTable, console: Console, slack: int
) -> None:
    """On a console about as wide as the table (one or two cells more or fewer), the
    plain table writes rich's bytes, laid out directly exactly when it fits."""
    width = max(1, natural_width(table) + slack)
    edge = Console(
        file=StringIO(),
        width=width,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
    )
    rendered = list(table.__rich_console__(edge, edge.options))
    assert all(isinstance(part, Segment) for part in rendered) == fits(table, width)
    expected = printed(edge, lambda c: c.print(table.to_rich()))
    assert printed(edge, lambda c: print_table(c, table)) == expected


@given(table=tables(), console=consoles())
def test_a_table_that_fits_is_laid_out_without_rich_table(
    table: PlainTable, console: Console
) -> None:
    """When every text is one printable line and the table fits, the table yields its
    segments itself; otherwise it hands rich's `Table` to the console."""
    rendered = list(table.__rich_console__(console, console.options))
    laid_out = all(isinstance(part, Segment) for part in rendered)
    assert laid_out == fits(table, console.width)


@pytest.mark.parametrize("terminal", [False, True])
def test_the_fast_layout_draws_the_expected_table(terminal: bool) -> None:
    """A known table, laid out directly: box, justification, title, caption, and the row
    style written around each cell's padding and text as rich writes it."""
    table = PlainTable(
        title="Caseload",
        caption="✓ yes",
        columns=(PlainColumn("Broker"), PlainColumn("Active", "right"), PlainColumn("Æ", "center")),
        rows=(PlainRow(("Søren", "31", "✓"), style="red"), PlainRow(("Bo", "2", "·"))),
    )
    output = printed(
        Console(file=StringIO(), width=80, force_terminal=terminal),
        lambda c: print_table(c, table),
    )
    plain = (
        "       Caseload        \n"
        "┏━━━━━━━━┳━━━━━━━━┳━━━┓\n"
        "┃ Broker ┃ Active ┃ Æ ┃\n"
        "┡━━━━━━━━╇━━━━━━━━╇━━━┩\n"
        "│ Søren  │     31 │ ✓ │\n"
        "│ Bo     │      2 │ · │\n"
        "└────────┴────────┴───┘\n"
        "         ✓ yes         \n"
    )
    if not terminal:
        assert output == plain
    else:
        red = "\x1b[31m"
        assert f"│{red} \x1b[0m{red}Søren \x1b[0m{red} \x1b[0m│" in output
        assert "\x1b[1mBroker\x1b[0m" in output
        assert "\x1b[3m" in output.splitlines()[0]


def test_a_row_has_one_cell_per_column() -> None:
    """A row with more or fewer cells than the table has columns is refused, naming the
    row and both numbers."""
    with pytest.raises(InvalidValue, match=r"row 2 .* has 1 cell; .* has 2 columns"):
        PlainTable(
            columns=(PlainColumn("a"), PlainColumn("b")),
            rows=(PlainRow(("1", "2")), PlainRow(("3",))),
        )


@pytest.mark.parametrize("fits_the_width", [True, False])
def test_texts_are_printed_as_written(fits_the_width: bool) -> None:
    """Brackets and colons in a title, a header or a cell are printed as written, never
    read as rich markup or emoji codes, whether the table is laid out directly or by rich."""
    table = PlainTable(
        title="[bold]title[/bold]",
        columns=(PlainColumn(":smile:"),),
        rows=(PlainRow(("[red]Søren[/red] :thumbs_up:",)),),
    )
    console = Console(file=StringIO(), width=80 if fits_the_width else 20)
    print_table(console, table)
    output = console.file
    assert isinstance(output, StringIO)
    written = output.getvalue()
    for text in ("[bold]title[/bold]", ":smile:", "[red]Søren[/red]", ":thumbs_up:"):
        assert text in written
