"""chart.py RESULTS.json OUT.png: the start-up and import ratios, at a glance.

Run with the bench venv's python (matplotlib).  One panel per application; per
command, its ratio to stock `python3.11` (Debian) in instructions and in hot wall
time, on a log scale, with the goals drawn in.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402
from report import ORDER  # noqa: E402  (bench/report.py, beside this file)

BOX = dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1)

SHORT = {"pyweld": "pyweld", "pyweld-fx": "pyweld\n--fast-\nexit", "pyinstaller": "PyInstaller\nonefile",
         "nuitka": "Nuitka\nonefile", "stock": "python\n3.11",
         "stock-IS": "python\n3.11\n-I -S", "dist": "dist's\npython",
         "dist-IS": "dist's\npython\n-I -S"}
GOALS = {"hello": [(0.5, "goal: pyweld ≤ 0.5 × stock")],
         "stdlib": [(0.55, "goal: pyweld ≤ 0.55 × stock")]}
TITLE = {"hello": "start-up: print(\"hello\")", "stdlib": "import: %s stdlib modules",
         "real": "real: 5 packages with C extensions",
         "rust": "rust: orjson and pydantic (Rust extensions)"}


def main():
    with open(sys.argv[1]) as f:
        res = json.load(f)
    apps = [a for a in ("hello", "stdlib", "real", "rust") if a in res["apps"]]
    fig, axes = plt.subplots(1, len(apps), figsize=(6.2 * len(apps), 5.6), squeeze=False)
    for ax, app in zip(axes[0], apps):
        a = res["apps"][app]
        cmds = a["commands"]
        base = cmds["stock"]
        ids = [i for i in ORDER if i in cmds]
        wall = [cmds[i]["wall"] / base["wall"] for i in ids]
        have_cg = all(cmds[i].get("callgrind") for i in ids)
        x = range(len(ids))
        w = 0.38 if have_cg else 0.6
        colors = ["#d62728" if i.startswith("pyweld") else "#7f7f7f" if i.startswith(("stock", "dist"))
                  else "#1f77b4" for i in ids]
        if have_cg:
            ins = [cmds[i]["callgrind"]["instructions"] / base["callgrind"]["instructions"]
                   for i in ids]
            b1 = ax.bar([i - w / 2 for i in x], ins, w, color=colors, edgecolor="black",
                        label="instructions (callgrind)")
            b2 = ax.bar([i + w / 2 for i in x], wall, w, color=colors, alpha=0.45,
                        edgecolor="black", hatch="//", label="wall time, hot (median)")
            bars = list(zip(b1, ins)) + list(zip(b2, wall))
        else:
            b2 = ax.bar(list(x), wall, w, color=colors, edgecolor="black",
                        label="wall time, hot (median)")
            bars = list(zip(b2, wall))
        for b, val in bars:
            ax.annotate("%.2f" % val, (b.get_x() + b.get_width() / 2, val),
                        ha="center", va="bottom", fontsize=7.5)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % v))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks([t for t in (0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20, 30, 50)])
        ax.axhline(1.0, color="black", lw=0.8)
        for y, text in GOALS.get(app, []):
            ax.axhline(y, color="#d62728", ls="--", lw=1)
            ax.annotate(text, (-0.45, y), ha="left", va="bottom", fontsize=8,
                        color="#d62728", bbox=BOX)
        if app == "hello" and "pyinstaller" in cmds:
            y = 0.2 * (cmds["pyinstaller"]["callgrind"]["instructions"]
                       / base["callgrind"]["instructions"] if have_cg else
                       cmds["pyinstaller"]["wall"] / base["wall"])
            ax.axhline(y, color="#ff7f0e", ls=":", lw=1)
            ax.annotate("goal: pyweld ≤ 0.2 × PyInstaller", (-0.45, y), ha="left",
                        va="bottom", fontsize=8, color="#ff7f0e", bbox=BOX)
        ax.set_xticks(list(x))
        ax.set_xticklabels([SHORT[i] for i in ids], fontsize=8)
        title = TITLE[app] % a.get("modules") if "%s" in TITLE[app] else TITLE[app]
        ax.set_title(title, fontsize=10)
        if ax is axes[0][0]:
            ax.set_ylabel("ratio to stock python3.11 (log scale; lower is faster)")
        ax.legend(fontsize=7.5, loc="upper right")
        lo = min(wall + ([c["callgrind"]["instructions"] / base["callgrind"]["instructions"]
                          for c in cmds.values()] if have_cg else []))
        hi = max(wall + ([c["callgrind"]["instructions"] / base["callgrind"]["instructions"]
                          for c in cmds.values()] if have_cg else []))
        ax.set_ylim(min(0.15, lo * 0.7), hi * 1.8)
    fig.suptitle("pyweld vs PyInstaller, Nuitka and stock CPython: ratio to python3.11\n"
                 "%s, %s cores, %s; solid bars instructions (stable), hatched bars wall "
                 "time (noisy, shared machine)"
                 % (res["machine"]["cpu"], res["machine"]["cores"], res["date"][:10]),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
