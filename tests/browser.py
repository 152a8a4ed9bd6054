"""Headless Chromium for tests: load a page, collect console messages and network requests, take a screenshot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Chromium's own background traffic (sign-in, time sync) shows in the net log; pages never need these hosts.
OWN_HOSTS = re.compile(r"^https?://([a-z0-9-]+\.)*google\.com(/|$)")


def chromium_binary() -> str:
    """The chromium binary; installed with apt-get (as root) where missing, as `make chromium` does."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if not found:
        raise RuntimeError("chromium is not installed and could not be installed; run `make chromium` as root")
    return found


@dataclass
class PageLoad:
    dom: str
    console: list[str]  # every console message (errors included) the page printed
    requests: list[str]  # URLs the page asked for, Chromium's own background traffic left out


def load(page: Path, profile: Path) -> PageLoad:
    net_log = profile.parent / f"{profile.name}-net.json"
    proc = subprocess.run([chromium_binary(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                           "--v=0", f"--log-net-log={net_log}", "--dump-dom", page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    urls = set(re.findall(r'"(https?://[^"\s\\]+)', net_log.read_text(errors="replace"))) if net_log.exists() else set()
    return PageLoad(proc.stdout, console, sorted(u for u in urls if not OWN_HOSTS.match(u)))


def screenshot(page: Path, profile: Path, out: Path, width: int = 1280, height: int = 2400) -> Path:
    subprocess.run([chromium_binary(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
                    f"--window-size={width},{height}", "--hide-scrollbars", page.resolve().as_uri()],
                   capture_output=True, timeout=120, check=True)
    return out


def blank_fraction(png: Path) -> float:
    """Share of the screenshot's pixels that are (near) white."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float((pixels > 245).mean())
