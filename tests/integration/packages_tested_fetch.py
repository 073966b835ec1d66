#!/usr/bin/env python3
"""packages_tested_fetch: packages-tested's sdists from the index by name and hash.

    packages_tested_fetch.py PACKAGES_TESTED_DIR

A local index on 127.0.0.1 (a thread of this process) serves two projects:
pw-fetch through the JSON simple API (PEP 691) and pw-html through HTML
pages (PEP 503), and their files.
1. The pinned file of either is fetched: its bytes, mode 0644, no
   temporary file left; the index was asked for JSON.
2. Refused, with the reason, nothing written: a pinned hash the index does
   not list for the file, a file the index does not list, bytes that do
   not have the hash the index lists (a tampered file), a project the index
   does not know (404), an index that is not http(s), a file whose URL is
   not http(s); a reason never shows a password of the index's URL or a
   control character.
3. fetch_release (a dependency pinned by version alone): the .tar.gz of
   that version the index lists (before its .zip, not another version's,
   its name normalized), checked against the listed hash; refused, nothing
   written, for a version without an sdist and for a file listed without a
   hash.
4. fetch_url (a package's tests_source, from a URL pinned with its hash):
   fetched when the bytes have the hash; refused, nothing written, for
   other bytes, a URL that is not http(s), a file name that is a path.
5. index_url: PIP_INDEX_URL wins; without it, pip's configured index-url
   (a pip.conf given by PIP_CONFIG_FILE to this python's pip; skipped, 77,
   after the rest passed, when this python has no pip); without either,
   PyPI's.
"""

import hashlib
import http.server
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print(f"  - {what}")


GOOD = b"pw-fetch sdist bytes\n" * 100
HTML_BYTES = b"pw-html sdist bytes\n" * 50
TAMPERED = b"not what the index lists\n"
H_GOOD = hashlib.sha256(GOOD).hexdigest()
H_HTML = hashlib.sha256(HTML_BYTES).hexdigest()
H_CLAIMED = hashlib.sha256(b"what the index lists").hexdigest()


class Index(http.server.BaseHTTPRequestHandler):
    accepts = []

    def log_message(self, *args):
        pass

    def send(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        Index.accepts.append(self.headers.get("Accept", ""))
        if self.path == "/simple/pw-fetch/":
            files = [
                {"filename": "pw_fetch-1.0.tar.gz", "url": "../../files/pw_fetch-1.0.tar.gz",
                 "hashes": {"sha256": H_GOOD}},
                {"filename": "pw_fetch-2.0.tar.gz", "url": "/files/tampered.tar.gz",
                 "hashes": {"sha256": H_CLAIMED}},
                {"filename": "pw_fetch-3.0.tar.gz", "url": "file:///etc/passwd",
                 "hashes": {"sha256": H_CLAIMED}},
                {"filename": "../pw_escape-1.0.tar.gz", "url": "/files/pw_fetch-1.0.tar.gz",
                 "hashes": {"sha256": H_GOOD}},
                {"filename": "pw.fetch-1.0.zip", "url": "/files/tampered.tar.gz",
                 "hashes": {"sha256": H_CLAIMED}},
                {"filename": "pw_fetch-1.0.1.tar.gz", "url": "/files/tampered.tar.gz",
                 "hashes": {"sha256": H_CLAIMED}},
                {"filename": "pw_fetch-1.0-py3-none-any.whl", "url": "/files/tampered.tar.gz",
                 "hashes": {"sha256": H_CLAIMED}},
                {"filename": "pw_fetch-4.0.tar.gz", "url": "/files/pw_fetch-1.0.tar.gz",
                 "hashes": {}},
            ]
            self.send(json.dumps({"meta": {"api-version": "1.0"}, "name": "pw-fetch",
                                  "files": files}).encode(),
                      "application/vnd.pypi.simple.v1+json")
        elif self.path == "/simple/pw-html/":
            page = (f'<!DOCTYPE html><html><body>'
                    f'<a href="/files/pw-html-1.0.tar.gz#sha256={H_HTML}">pw-html-1.0.tar.gz</a>'
                    f'<br/></body></html>')
            self.send(page.encode(), "text/html")
        elif self.path == "/files/pw_fetch-1.0.tar.gz":
            self.send(GOOD, "application/octet-stream")
        elif self.path == "/files/pw-html-1.0.tar.gz":
            self.send(HTML_BYTES, "application/octet-stream")
        elif self.path == "/files/tampered.tar.gz":
            self.send(TAMPERED, "application/octet-stream")
        else:
            self.send_error(404)


def main():
    sys.path.insert(0, sys.argv[1])
    import fetch

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    with tempfile.TemporaryDirectory(prefix="pw-fetch-") as d:
        # 1. fetched
        for name, filename, digest, want in (("pw_fetch", "pw_fetch-1.0.tar.gz", H_GOOD, GOOD),
                                             ("pw-html", "pw-html-1.0.tar.gz", H_HTML,
                                              HTML_BYTES)):
            path, why = fetch.fetch(index, name, filename, digest, d)
            check(path == os.path.join(d, filename) and why is None,
                  f"{filename} was not fetched: {path}, {why}")
            if path:
                with open(path, "rb") as f:
                    check(f.read() == want, f"{filename}: other bytes than the index's")
                mode = stat.S_IMODE(os.stat(path).st_mode)
                check(mode == 0o644, f"{filename}: mode {oct(mode)}, not 0644")
        check(Index.accepts and Index.accepts[0].startswith("application/vnd.pypi.simple.v1+json"),
              f"the index was not asked for JSON first: {Index.accepts[:1]}")
        before = sorted(os.listdir(d))
        check(before == ["pw-html-1.0.tar.gz", "pw_fetch-1.0.tar.gz"],
              f"the directory holds more than the two files: {before}")
        # 2. refused
        for what, args, words in (
                ("another hash", (index, "pw-fetch", "pw_fetch-1.0.tar.gz", "0" * 64),
                 ["another SHA-256", "pw_fetch-1.0.tar.gz"]),
                ("a file not listed", (index, "pw-fetch", "pw_fetch-9.tar.gz", H_GOOD),
                 ["lists no file", "pw_fetch-9.tar.gz"]),
                ("tampered bytes", (index, "pw-fetch", "pw_fetch-2.0.tar.gz", H_CLAIMED),
                 ["has SHA-256", hashlib.sha256(TAMPERED).hexdigest(), "refused"]),
                ("an unknown project", (index, "pw-nothing", "pw_nothing-1.tar.gz", H_GOOD),
                 ["404", "pw-nothing"]),
                ("an index that is no http(s) URL", ("file:///tmp/", "pw-fetch",
                                                     "pw_fetch-1.0.tar.gz", H_GOOD),
                 ["not an http(s) URL"]),
                ("a file URL that is no http(s) URL", (index, "pw-fetch", "pw_fetch-3.0.tar.gz",
                                                       H_CLAIMED), ["not http(s)"]),
                ("a file name that is a path", (index, "pw-fetch", "../pw_escape-1.0.tar.gz",
                                                H_GOOD), ["is not a file name"])):
            path, why = fetch.fetch(*args, d)
            check(path is None and why and all(w in why for w in words),
                  f"{what}: not refused with {words}: {path}, {why}")
            check(sorted(os.listdir(d)) == before,
                  f"{what}: the directory changed: {sorted(os.listdir(d))}")
            check(not os.path.exists(os.path.join(os.path.dirname(d), "pw_escape-1.0.tar.gz")),
                  f"{what}: a file was written beside the directory")
        # a password in the index's URL is not shown; nor is a newline
        path, why = fetch.fetch(index.replace("http://", "http://pw:s3cret@") + "x\ny/",
                                "pw-fetch", "pw_fetch-1.0.tar.gz", H_GOOD, d)
        check(path is None and why and "s3cret" not in why and "\n" not in why and
              "pw:****@" in why, f"the reason shows the password or a newline: {why!r}")
        # 3. fetch_release
        rd = os.path.join(d, "release")
        os.makedirs(rd)
        path, digest, why = fetch.fetch_release(index, "PW.Fetch", "1.0", rd)
        check(path == os.path.join(rd, "pw_fetch-1.0.tar.gz") and digest == H_GOOD and
              why is None, f"fetch_release did not fetch the .tar.gz of 1.0: {path}, {digest}, "
              f"{why}")
        for what, version, words in (("a version without an sdist", "9.9", ["lists no sdist"]),
                                     ("a file listed without a hash", "4.0",
                                      ["without a SHA-256"])):
            path, digest, why = fetch.fetch_release(index, "pw-fetch", version, rd)
            check(path is None and digest is None and why and all(w in why for w in words),
                  f"fetch_release, {what}: not refused with {words}: {path}, {why}")
        check(sorted(os.listdir(rd)) == ["pw_fetch-1.0.tar.gz"],
              f"fetch_release: the directory holds {sorted(os.listdir(rd))}")
        # 4. fetch_url
        base = f"http://127.0.0.1:{server.server_address[1]}/files/"
        td = os.path.join(d, "tests-sources")
        os.makedirs(td)
        path, why = fetch.fetch_url(base + "pw-html-1.0.tar.gz", "pw_tests-1.0.tar.gz", H_HTML,
                                    td)
        check(path == os.path.join(td, "pw_tests-1.0.tar.gz") and why is None,
              f"fetch_url did not fetch the pinned file: {path}, {why}")
        if path:
            with open(path, "rb") as f:
                check(f.read() == HTML_BYTES, "fetch_url: other bytes than the URL's")
        for what, args, words in (
                ("other bytes", (base + "tampered.tar.gz", "pw_t-2.tar.gz", H_GOOD),
                 ["has SHA-256", "refused"]),
                ("a URL that is no http(s) URL", ("file:///etc/passwd", "pw_t-3.tar.gz",
                                                  H_GOOD), ["not an http(s) URL"]),
                ("a file name that is a path", (base + "pw-html-1.0.tar.gz",
                                                "../pw_t-4.tar.gz", H_HTML),
                 ["is not a file name"])):
            path, why = fetch.fetch_url(*args, td)
            check(path is None and why and all(w in why for w in words),
                  f"fetch_url, {what}: not refused with {words}: {path}, {why}")
            check(sorted(os.listdir(td)) == ["pw_tests-1.0.tar.gz"],
                  f"fetch_url, {what}: the directory changed: {sorted(os.listdir(td))}")
            check(not os.path.exists(os.path.join(d, "pw_t-4.tar.gz")),
                  f"fetch_url, {what}: a file was written beside the directory")
        # 5. index_url
        conf = os.path.join(d, "pip.conf")
        with open(conf, "w") as f:
            f.write("[global]\nindex-url = http://127.0.0.1:9/pw-configured/\n")
        saved = {k: os.environ.pop(k, None) for k in ("PIP_INDEX_URL", "PIP_CONFIG_FILE")}
        try:
            os.environ["PIP_INDEX_URL"] = "http://127.0.0.1:9/pw-env/"
            got = fetch.index_url(sys.executable)
            check(got == "http://127.0.0.1:9/pw-env/", f"PIP_INDEX_URL not used: {got}")
            del os.environ["PIP_INDEX_URL"]
            os.environ["PIP_CONFIG_FILE"] = conf
            got = fetch.index_url(sys.executable)
            if has_pip():
                check(got == "http://127.0.0.1:9/pw-configured/",
                      f"pip's configured index-url not used: {got}")
            os.environ["PIP_CONFIG_FILE"] = os.devnull
            got = fetch.index_url(os.path.join(d, "no-such-python"))
            check(got == "https://pypi.org/simple/", f"without configuration: {got}")
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None)
                if v is not None:
                    os.environ[k] = v
    server.shutdown()
    print(f"{'FAIL' if FAILS else 'ok'}: {len(FAILS)} problems")
    if FAILS:
        return 1
    if not has_pip():
        print(f"SKIP: {sys.executable} has no pip: pip's configured index-url not checked")
        return 77
    return 0


def has_pip():
    return subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True,
                          stdin=subprocess.DEVNULL).returncode == 0


if __name__ == "__main__":
    sys.exit(main())
