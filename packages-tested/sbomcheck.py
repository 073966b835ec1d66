"""packages-tested/sbomcheck.py: the combined binary's SBOM, validated.

Every weld writes APP.cdx.json beside APP (CycloneDX 1.5, docs/inspect.md).
The matrix checks the combined binary's against the official schema with
cyclonedx-python-lib's strict JSON validator, and the SPDX 2.3 document
`pyweld inspect --sbom --sbom-format spdx APP` makes of the same binary
with spdx-tools' validator: each pinned with hashes in the file the SBOM
tests use (tests/sbom-requirements.txt, tests/sbom-spdx-requirements.txt)
and installed, wheels only, into a venv kept in the matrix's download
cache, keyed by that file.  The venvs are made by the python running the
matrix, whose wheels the pins name.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(TOP, "..", "tests", "sbom-requirements.txt")
SPDX_REQUIREMENTS = os.path.join(TOP, "..", "tests", "sbom-spdx-requirements.txt")

VALIDATE = """
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
text = open(sys.argv[1], encoding="utf-8").read()
err = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
print(json.dumps({"ok": err is None, "error": "" if err is None else repr(err)[:600],
                  "components": len(json.loads(text).get("components", []))}))
"""

VALIDATE_SPDX = """
import json, sys
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
try:
    doc = parse_file(sys.argv[1])
except Exception as e:
    print(json.dumps({"ok": False, "error": "cannot parse: " + repr(e)[:600], "packages": 0}))
    sys.exit(0)
msgs = validate_full_spdx_document(doc)
print(json.dumps({"ok": not msgs, "packages": len(doc.packages),
                  "error": "; ".join(m.validation_message for m in msgs)[:600]}))
"""


def validator(dl, env, requirements=REQUIREMENTS, kind="cyclonedx"):
    """The python of a validator's venv under DL (kind, pinned by
    requirements), made once: (python, error)."""
    with open(requirements, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    venv = os.path.join(dl, "validators", f"{kind}-{key}")
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(os.path.join(venv, "READY")):
        return python, ""
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    tmp = f"{venv}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for what, argv in (("python -m venv", [sys.executable, "-m", "venv", tmp]),
                       ("pip install", [os.path.join(tmp, "bin", "python"), "-m", "pip",
                                        "install", "-q", "--require-hashes", "--only-binary",
                                        ":all:", "--disable-pip-version-check", "-r",
                                        requirements])):
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tail = " ".join((p.stderr or p.stdout).strip().splitlines()[-3:])
            return None, f"{what} exited {p.returncode}: {tail}"
    with open(os.path.join(tmp, "READY"), "w"):
        pass
    try:
        os.rename(tmp, venv)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)      # another run made it first
    return python, ""


def run_validator(python, script, path, env, empty):
    """script's one JSON line on path, or empty with the error."""
    p = subprocess.run([python, "-c", script, path], env=env, capture_output=True,
                       text=True, timeout=600)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return dict(empty, ok=False, error=f"the validator exited {p.returncode}: "
                    f"{(p.stderr or '').strip()[-600:]}")


def validate_spdx(app, dl, env, pyweld):
    """{"ok", "error", "packages"} of what `pyweld inspect --sbom --sbom-format
    spdx APP` prints, against SPDX 2.3."""
    empty = {"ok": False, "error": "", "packages": 0}
    path = app + ".inspect.spdx.json"
    p = subprocess.run([pyweld, "inspect", "--sbom", "--sbom-format", "spdx", app],
                       env=env, capture_output=True, timeout=600)
    if p.returncode != 0:
        return dict(empty, error=f"pyweld inspect --sbom --sbom-format spdx exited "
                    f"{p.returncode}: {p.stderr.decode(errors='replace').strip()[-600:]}")
    with open(path, "wb") as f:
        f.write(p.stdout)
    python, why = validator(dl, env, SPDX_REQUIREMENTS, "spdx")
    if not python:
        return dict(empty, error=f"the validator could not be installed: {why}")
    return run_validator(python, VALIDATE_SPDX, path, env, empty)


def validate(app, dl, env, pyweld):
    """{"ok", "error", "components", "spdx"} of APP.cdx.json against CycloneDX
    1.5 and of APP's SPDX document (validate_spdx): ok when both are."""
    cdx = validate_cyclonedx(app, dl, env)
    spdx = validate_spdx(app, dl, env, pyweld)
    errors = [e for e in (cdx["error"], spdx["error"] and "SPDX: " + spdx["error"]) if e]
    return {"ok": cdx["ok"] and spdx["ok"], "error": "; ".join(errors),
            "components": cdx["components"], "spdx": spdx}


def validate_cyclonedx(app, dl, env):
    """{"ok", "error", "components"} of APP.cdx.json against CycloneDX 1.5."""
    sbom = app + ".cdx.json"
    if not os.path.isfile(sbom):
        return {"ok": False, "error": f"no SBOM beside the binary ({os.path.basename(sbom)})",
                "components": 0}
    python, why = validator(dl, env)
    if not python:
        return {"ok": False, "error": f"the validator could not be installed: {why}",
                "components": 0}
    return run_validator(python, VALIDATE, sbom, env, {"components": 0})
