"""``/metrics``: Prometheus' text format, for admins only; requests, latencies, the data
version, snapshot reloads and memory."""

from __future__ import annotations

import re
import shutil

import pytest

from app import create_app
from gridwatch.auth.tokens import create_token
from gridwatch.settings import Settings
from gridwatch.store.db import data_version
from tests.conftest import GEO_PATH
from web.context import data_source
from web.metrics import BUCKETS, Registry, exposition

LABEL = r'[a-z_]+="(?:[^"\\]|\\.)*"'
SAMPLE = re.compile(rf"^([a-z_]+)(\{{{LABEL}(?:,{LABEL})*\}})? (\S+)$")


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics") / "store.sqlite"
    shutil.copy(seeded_db, path)
    app = create_app(Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH))
    with app.server.app_context():
        source = data_source()
    tokens = {role: create_token(source.engine, f"metrics-{role}", role)[1]
              for role in ("admin", "operator", "viewer")}
    return app, source, tokens


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def parse(text: str) -> dict[str, float]:
    """Every sample of an exposition, by its name and labels; checks each line's form."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            typed.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, line
        name = match.group(1)
        assert any(name == t or name.startswith(t + "_") for t in typed), line
        samples[name + (match.group(2) or "")] = float(match.group(3))
    return samples


def test_metrics_are_for_admins_only(site):
    app, _source, tokens = site
    client = app.server.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer(tokens["operator"])).status_code == 403
    assert client.get("/metrics", headers=bearer(tokens["viewer"])).status_code == 403
    answer = client.get("/metrics", headers=bearer(tokens["admin"]))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "no-store" in answer.headers["Cache-Control"]


def test_metrics_count_requests_and_report_the_data_version_and_reloads(site):
    app, source, tokens = site
    client = app.server.test_client()
    admin = bearer(tokens["admin"])
    before = parse(client.get("/metrics", headers=admin).text)
    health = 'gridwatch_http_requests_total{endpoint="health.health",status="200"}'
    refused = 'gridwatch_http_requests_total{endpoint="metrics.metrics",status="401"}'
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 401
    source.snapshot()
    answer = client.post("/api/v1/risk-assessments", headers=admin, json={"items": [
        {"grid_code": "33082400100101", "colour": "red", "source": "metrics",
         "observed_at": "2020-02-29T22:00:00+08:00"}]})
    assert answer.status_code == 200
    source.snapshot()  # the write made it read the store again
    after = parse(client.get("/metrics", headers=admin).text)

    assert after[health] == before.get(health, 0) + 3
    assert after[refused] == before.get(refused, 0) + 1  # counted though the guard refused it
    assert after["gridwatch_data_version"] == data_version(source.engine)
    assert after["gridwatch_data_version"] == answer.json["data_version"]
    reloads = "gridwatch_snapshot_reloads_total"
    assert after[reloads] >= before[reloads] + 1
    assert after["gridwatch_snapshot_reload_seconds_total"] > 0
    assert after["process_resident_memory_bytes"] > 10_000_000
    assert after["gridwatch_data_updated_timestamp_seconds"] > 1_500_000_000

    # The latency histogram: cumulative buckets up to +Inf, which is the count.
    label = 'endpoint="health.health"'
    buckets = [after[f'gridwatch_http_request_duration_seconds_bucket{{{label},le="{le}"}}']
               for le in [*(repr(b) for b in BUCKETS), "+Inf"]]
    assert buckets == sorted(buckets)
    count = after[f"gridwatch_http_request_duration_seconds_count{{{label}}}"]
    assert buckets[-1] == count == after[health]
    assert after[f"gridwatch_http_request_duration_seconds_sum{{{label}}}"] > 0


def test_the_exposition_format_by_hand():
    registry = Registry()
    registry.observe('odd"name', 500, 0.2)
    registry.observe('odd"name', 500, 99.0)
    registry.reloaded(1.5)

    class State:
        store_version = 7
        updated_at = None

    text = exposition(registry, State())
    samples = parse(text)
    assert samples['gridwatch_http_requests_total{endpoint="odd\\"name",status="500"}'] == 2
    assert samples['gridwatch_http_request_duration_seconds_bucket'
                   '{endpoint="odd\\"name",le="0.1"}'] == 0
    assert samples['gridwatch_http_request_duration_seconds_bucket'
                   '{endpoint="odd\\"name",le="0.25"}'] == 1
    assert samples['gridwatch_http_request_duration_seconds_bucket'
                   '{endpoint="odd\\"name",le="+Inf"}'] == 2
    assert samples["gridwatch_snapshot_reloads_total"] == 1
    assert samples["gridwatch_data_version"] == 7
    assert "gridwatch_data_updated_timestamp_seconds" not in samples
    assert text.endswith("\n")
