"""Pages read as a user reads them: texts, links, badges, table rows and picker
options, whatever the markup's spacing, attribute order or entity spelling."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
VOID |= {"source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)  # Element or str

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        return " ".join(self.raw_text.split())

    @property
    def raw_text(self) -> str:
        return "".join(
            child if isinstance(child, str) else child.raw_text
            for child in self.children
        )

    def find_all(self, tag=None, css=None, **attrs) -> list["Element"]:
        """Descendants with that tag, every class of `css` and these attributes."""
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (
                (tag is None or child.tag == tag)
                and (css is None or set(css.split()) <= child.classes)
                and all(child.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
            ):
                found.append(child)
            found += child.find_all(tag, css, **attrs)
        return found

    def find(self, tag=None, css=None, **attrs) -> "Element":
        found = self.find_all(tag, css, **attrs)
        assert found, f"no <{tag or '*'}> {css or ''} {attrs or ''} on the page"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)


def page(html: str | bytes) -> Element:
    """The page as a tree of elements (a response's content will do)."""
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    return builder.root


def badges(html) -> list[tuple[str, str]]:
    """(text, title) of every badge; a disqualified lead's title names its state."""
    return [
        (b.text, b.attrs.get("title", "")) for b in page(html).find_all(css="badge")
    ]


def table_rows(html, css) -> list[list[str]]:
    """The cell texts of each body row of the first table of class `css`."""
    table = page(html).find("table", css=css)
    return [
        [cell.text for cell in row.find_all("td")]
        for row in table.find("tbody").find_all("tr")
    ]


def links(element: Element) -> list[tuple[str, str]]:
    """(text, href) of every link inside `element`."""
    return [
        (a.text, a.attrs["href"]) for a in element.find_all("a") if "href" in a.attrs
    ]


def options(html, name) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each option of the picker `name`."""
    select = page(html).find("select", name=name)
    return [
        (o.attrs.get("value", ""), o.text, "selected" in o.attrs)
        for o in select.find_all("option")
    ]
