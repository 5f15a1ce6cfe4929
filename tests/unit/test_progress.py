"""Progress of a long start: plain lines off a terminal, one bar redrawn on one."""
import io

from mininet_topos.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_off_a_terminal_each_step_once():
    out = io.StringIO()
    p = Progress(out)
    for done in (1, 1, 2, 3):
        p("nodes up", done, 3)
    p("bridges exact", 7, 7)
    lines = out.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "*** 1/3 nodes up", "*** 2/3 nodes up", "*** 3/3 nodes up", "*** 7/7 bridges exact"]


def test_a_bar_on_a_terminal_ends_its_line_when_done():
    out = Tty()
    p = Progress(out)
    p("nodes up", 1, 2)
    p("nodes up", 2, 2)
    text = out.getvalue()
    assert text.startswith("\r*** [" + "#" * 15 + "." * 15 + "] 1/2 nodes up")
    assert "\r*** [" + "#" * 30 + "] 2/2 nodes up" in text and text.endswith("\n")
