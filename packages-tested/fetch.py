"""fetch.py: a pinned sdist straight from the package index, by its hash.

`pip download --no-binary NAME NAME==VER` prepares the sdist to read its
metadata: for a meson or scikit-build package that is a build (numpy 1.26.4:
244 s here, pandas 2.2.3: 389 s) before the file is even saved.  The runner
knows the file's name and SHA-256 already (packages.toml), so it asks the
index's simple API (PEP 691 JSON, or PEP 503 HTML) for the project's files,
takes the one of that name listed with that hash, downloads it and checks
the hash of what arrived.  Anything else (no such file, another hash, an
index that cannot be read) returns the reason, and the runner falls back to
pip download.

The index is pip's: PIP_INDEX_URL, else `index-url` of pip's configuration
(`pip config list`: download.index-url, then global.index-url), else
https://pypi.org/simple/.
"""

import hashlib
import html.parser
import http.client
import json
import os
import re
import ssl
import subprocess
import tempfile
import urllib.parse
import urllib.request

from shard import norm          # PEP 503's normalized project name

DEFAULT_INDEX = "https://pypi.org/simple/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 60
CONFIG_LINE = re.compile(r"^(:env:|download|global)\.index-url='(.*)'$")


def index_url(python):
    """The index pip would use for python's pip."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    try:
        p = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        found = dict(m.groups() for m in map(CONFIG_LINE.match, p.stdout.splitlines()) if m)
    except (OSError, subprocess.SubprocessError):
        found = {}
    for scope in (":env:", "download", "global"):
        if found.get(scope):
            return found[scope]
    return DEFAULT_INDEX


def shown(url):
    """url for a message: a password in it replaced, control characters
    escaped."""
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.password is not None:
            netloc = f"{parts.username}:****@{parts.hostname}" + \
                (f":{parts.port}" if parts.port else "")
            url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        pass
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in url)


def tls_context():
    """The CA bundle pip is told to use, when it is told (PIP_CERT)."""
    cafile = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    if cafile and os.path.isfile(cafile):
        return ssl.create_default_context(cafile=cafile)
    return ssl.create_default_context()


class Links(html.parser.HTMLParser):
    """The anchors of a PEP 503 page: (text, href)."""

    def __init__(self):
        super().__init__()
        self.links, self.href, self.text = [], None, []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href, self.text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self.href is not None:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self.href is not None:
            self.links.append(("".join(self.text).strip(), self.href))
            self.href = None


def listed_files(body, content_type, page):
    """(filename, url, sha256 or None) of an index page."""
    if content_type.startswith(JSON_TYPE) or content_type.startswith("application/json"):
        doc = json.loads(body)
        return [(f.get("filename", ""), urllib.parse.urljoin(page, f.get("url", "")),
                 (f.get("hashes") or {}).get("sha256")) for f in doc.get("files", [])]
    parser = Links()
    parser.feed(body.decode("utf-8", "replace"))
    out = []
    for text, href in parser.links:
        url, _, frag = urllib.parse.urljoin(page, href).partition("#")
        digest = frag[7:] if frag.startswith("sha256=") else None
        out.append((text, url, digest))
    return out


def opener_of(opener):
    return opener or (lambda req: urllib.request.urlopen(req, timeout=TIMEOUT,
                                                         context=tls_context()))


def project_files(index, name, open_url):
    """(page, [(filename, url, sha256 or None)]) of project name's page of
    index, or (page, why) when it cannot be read."""
    page = index.rstrip("/") + "/" + norm(name) + "/"
    if urllib.parse.urlparse(page).scheme not in ("http", "https"):
        return page, f"the index '{shown(index)}' is not an http(s) URL"
    try:
        req = urllib.request.Request(page, headers={
            "Accept": f"{JSON_TYPE}, text/html;q=0.1"})
        with open_url(req) as r:
            body, ctype = r.read(), r.headers.get("Content-Type", "")
        return page, listed_files(body, ctype, page)
    except (OSError, ValueError, http.client.HTTPException) as e:
        return page, f"reading {shown(page)} failed: {shown(str(e))}"


SDIST_NAME = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)-([A-Za-z0-9][A-Za-z0-9._+!]*)"
                        r"\.(tar\.gz|zip)")


def fetch_release(index, name, version, dest_dir, opener=None):
    """Downloads the sdist of name==version the index lists with a SHA-256
    into dest_dir (a .tar.gz before a .zip), checked against that hash: a
    dependency pinned by version alone, which pip would take from the same
    index.  (path, sha256, None), or (None, None, why)."""
    open_url = opener_of(opener)
    page, files = project_files(index, name, open_url)
    if isinstance(files, str):
        return None, None, files
    found = []
    for f, u, h in files:
        m = SDIST_NAME.fullmatch(f)
        if m and norm(m.group(1)) == norm(name) and m.group(2) == version:
            found.append((m.group(3) != "tar.gz", f, u, h))
    if not found:
        return None, None, f"{shown(page)} lists no sdist of {name} {version}"
    _, filename, url, sha256 = min(found)
    if not sha256 or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return None, None, f"{shown(page)} lists '{filename}' without a SHA-256"
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        return None, None, f"{shown(page)} gives '{filename}' a URL that is not http(s)"
    path, why = download(url, filename, sha256, dest_dir, open_url)
    return path, (sha256 if path else None), why


def fetch(index, name, filename, sha256, dest_dir, opener=None):
    """Downloads filename of project name from index into dest_dir when the
    index lists it with sha256 and the bytes have it.  (path, None), or
    (None, why)."""
    open_url = opener_of(opener)
    if os.path.basename(filename) != filename or filename in ("", ".", ".."):
        return None, f"'{shown(filename)}' is not a file name"
    page, files = project_files(index, name, open_url)
    if isinstance(files, str):
        return None, files
    match = [(u, h) for f, u, h in files if f == filename]
    if not match:
        return None, f"{shown(page)} lists no file '{filename}'"
    url = next((u for u, h in match if h == sha256), None)
    if url is None:
        return None, (f"{shown(page)} lists '{filename}' with another SHA-256 than the pinned "
                      f"{sha256}")
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        return None, f"{shown(page)} gives '{filename}' a URL that is not http(s)"
    return download(url, filename, sha256, dest_dir, open_url)


def fetch_url(url, filename, sha256, dest_dir, opener=None):
    """Downloads url into dest_dir/filename when its bytes have sha256 (a
    file from elsewhere than the index: the tests of a package whose sdist
    ships none).  (path, None), or (None, why)."""
    open_url = opener_of(opener)
    if os.path.basename(filename) != filename or filename in ("", ".", ".."):
        return None, f"'{shown(filename)}' is not a file name"
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        return None, f"'{shown(url)}' is not an http(s) URL"
    return download(url, filename, sha256, dest_dir, open_url)


def download(url, filename, sha256, dest_dir, open_url):
    """url's bytes as dest_dir/filename, renamed into place once they have
    sha256.  (path, None), or (None, why)."""
    fd, tmp = tempfile.mkstemp(prefix=".fetch-", dir=dest_dir)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, open_url(urllib.request.Request(url)) as r:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            return None, (f"{shown(url)} has SHA-256 {digest.hexdigest()}, pinned {sha256}: "
                          f"refused")
        path = os.path.join(dest_dir, filename)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
        return path, None
    except (OSError, ValueError, http.client.HTTPException) as e:
        return None, f"downloading {shown(url)} failed: {shown(str(e))}"
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
