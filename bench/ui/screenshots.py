"""Screenshots of the `qbank ui` pages for the docs, taken in the OS's headless Chromium.

    make demo && .venv/bin/python -m bench.ui.screenshots --warehouse warehouse/demo.duckdb --out docs/ui

Writes bank.png (filtered by a topic), cluster.png (the question most sources ask), review.png and
overview.png. Decisions are not made: the pages are only looked at.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


from qbank.settings import DATA_DIR, Settings
from qbank.ui.app import create_app
from tests.ui_support import chromium, serve
from warehouse.bench_reads import largest_cluster
from warehouse.store import Warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=Path("warehouse/demo.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("docs/ui"))
    parser.add_argument("--topic", default="ml_fundamentals")
    args = parser.parse_args()
    cluster_id = largest_cluster(Warehouse(args.warehouse))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)  # a copy of the curation file: looking never writes to the real one
        (data / "curation.yaml").write_text((DATA_DIR / "curation.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        settings = Settings(warehouse=args.warehouse, data_dir=data)
        with serve(create_app(settings)) as url, chromium() as browser:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            for name, path in (("bank", f"/?topic={args.topic}"), ("cluster", f"/cluster/{cluster_id}"),
                               ("review", "/review"), ("overview", "/overview")):  # fmt: skip
                page.goto(url + path)
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=name == "cluster")
                print(args.out / f"{name}.png")


if __name__ == "__main__":
    main()
