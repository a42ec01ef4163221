"""A small same-site crawler for the crawl test (tests/test_crawl.py).

It follows every link and submits every GET form (with the values the page
pre-fills, as a person pressing the button would) from a set of start pages, through
Django's test client, and records every response. To stay bounded on pages with
many links of the same kind (a list's rows, its sort and page links, the admin's
filters), it visits at most `per_shape` URLs of each shape: the path with its numbers
replaced and the names (not the values) of its query parameters.
"""

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

# Pages a crawl must not "visit": they end the session or are files.
SKIP_PREFIXES = ("/logout/", "/admin/logout/", "/static/", "/media/")


class _PageParser(HTMLParser):
    """Links (<a href>) and GET forms (action + the values they would submit)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._form = None  # (action, fields) of the GET form being read
        self._select = None  # (name, first option value, chosen value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            if (a.get("method") or "get").lower() == "get":
                self._form = (a.get("action") or "", [])
        elif self._form is not None:
            self._field(tag, a)

    def _field(self, tag, a):
        fields = self._form[1]
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = [name, None, None, "multiple" in a]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                if self._select[3]:
                    fields.append((self._select[0], value))
                else:
                    self._select[2] = value
        elif tag == "textarea" and name:
            fields.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self._form is not None:
            name, first, chosen, multiple = self._select
            if not multiple:
                value = chosen if chosen is not None else first
                if value is not None:
                    self._form[1].append((name, value))
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def shape(url: str) -> tuple[str, str]:
    """(path with numbers and tokens replaced, sorted query parameter names)."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "{n}", parts.path)
    path = re.sub(r"/capture/[^/]+/", "/capture/{token}/", path)
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path, "&".join(names)


@dataclass
class Visit:
    url: str
    status: int
    referrer: str


@dataclass
class Crawl:
    visits: list[Visit] = field(default_factory=list)

    def errors(self) -> list[Visit]:
        return [v for v in self.visits if v.status >= 500]

    def ok(self) -> list[Visit]:
        return [v for v in self.visits if v.status == 200]


def crawl(
    client, start, *, per_shape=2, queries_per_path=8, limit=600, skip=()
) -> Crawl:
    """Breadth-first from the `start` URLs; at most `limit` requests, `per_shape`
    URLs of each shape and `queries_per_path` query shapes (filter combinations)
    of each path."""
    result = Crawl()
    queue = deque((url, "(start)") for url in start)
    seen: set[str] = set()
    shapes: dict[tuple, int] = {}
    queries: dict[str, set] = {}
    while queue and len(result.visits) < limit:
        url, referrer = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        key = shape(url)
        if shapes.get(key, 0) >= per_shape:
            continue
        known = queries.setdefault(key[0], set())
        if key[1] not in known and len(known) >= queries_per_path:
            continue
        known.add(key[1])
        shapes[key] = shapes.get(key, 0) + 1
        response = client.get(url)
        result.visits.append(Visit(url, response.status_code, referrer))
        if response.status_code in (301, 302, 303, 307, 308):
            _add(queue, seen, urljoin(url, response["Location"]), url, skip)
            continue
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        parser = _PageParser()
        parser.feed(response.content.decode("utf-8", "replace"))
        for href in parser.links:
            _add(queue, seen, urljoin(url, href), url, skip)
        for action, fields in parser.forms:
            target = urljoin(url, action or url)
            base = target.split("?")[0]
            query = urlencode(fields)
            _add(queue, seen, f"{base}?{query}" if query else base, url, skip)
    return result


def _add(queue, seen, url, referrer, skip):
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return
    path = parts.path
    if not path.startswith("/") or path.startswith(SKIP_PREFIXES + tuple(skip)):
        return
    local = path + (f"?{parts.query}" if parts.query else "")
    if local not in seen:
        queue.append((local, referrer))
