"""Every document the code cites is in the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for d in ("tourney", "players", "tests", "bench", "leagues") for p in (ROOT / d).rglob("*")
           if p.suffix in {".py", ".yaml", ".md"}]
DOC_REF = re.compile(r"\bdocs/[\w./-]+\.md\b")


def test_cited_docs_exist():
    cited = {(p.relative_to(ROOT).as_posix(), ref) for p in SOURCES for ref in DOC_REF.findall(p.read_text())}
    assert cited, "no module cites docs/: the scan itself is broken"
    missing = sorted((src, ref) for src, ref in cited if not (ROOT / ref).is_file())
    assert not missing, f"cited but absent: {missing}"


def test_no_citation_of_files_outside_the_repository():
    outside = sorted(p.relative_to(ROOT).as_posix() for p in SOURCES
                     if p.name != "test_docs.py" and re.search(r"shared/(references|seeds)/", p.read_text()))
    assert not outside, f"these cite files that are not in the repository: {outside}"


def test_docs_index_lists_every_page():
    index = (ROOT / "docs" / "README.md").read_text()
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md")
    assert pages and all(f"({name})" in index for name in pages)
