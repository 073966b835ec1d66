"""packages-tested/sbomcheck.py: the combined binary's SBOM, validated.

Every weld writes APP.cdx.json beside APP (CycloneDX 1.5, docs/inspect.md).
The matrix checks the combined binary's against the official schema with
cyclonedx-python-lib's strict JSON validator, pinned with hashes in
tests/sbom-requirements.txt (the file the SBOM tests use) and installed,
wheels only, into a venv kept in the matrix's download cache, keyed by that
file.  The venv is made by the python running the matrix, whose wheels the
pins name.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(TOP, "..", "tests", "sbom-requirements.txt")

VALIDATE = """
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
text = open(sys.argv[1], encoding="utf-8").read()
err = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
print(json.dumps({"ok": err is None, "error": "" if err is None else repr(err)[:600],
                  "components": len(json.loads(text).get("components", []))}))
"""


def validator(dl, env):
    """The python of the validator's venv under DL, made once: (python, error)."""
    with open(REQUIREMENTS, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    venv = os.path.join(dl, "validators", f"cyclonedx-{key}")
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
                                        REQUIREMENTS])):
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


def validate(app, dl, env):
    """{"ok", "error", "components"} of APP.cdx.json against CycloneDX 1.5."""
    sbom = app + ".cdx.json"
    if not os.path.isfile(sbom):
        return {"ok": False, "error": f"no SBOM beside the binary ({os.path.basename(sbom)})",
                "components": 0}
    python, why = validator(dl, env)
    if not python:
        return {"ok": False, "error": f"the validator could not be installed: {why}",
                "components": 0}
    p = subprocess.run([python, "-c", VALIDATE, sbom], env=env, capture_output=True,
                       text=True, timeout=600)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "error": f"the validator exited {p.returncode}: "
                f"{(p.stderr or '').strip()[-600:]}", "components": 0}
