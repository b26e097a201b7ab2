"""The integration lane (``make integration``): tests that start processes, regenerate the
region or simulate the demo history again. ``make unit`` leaves them out; ``make test`` runs
them. Everything collected here is marked ``integration``."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)
