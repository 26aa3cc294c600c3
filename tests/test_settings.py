"""Each settings group reads its own variables and refuses combinations that cannot work."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from geo.settings import Dataset, Limits, Replicas, Settings, Warnings, Web


def test_each_group_reads_its_own_prefixed_variables(monkeypatch):
    monkeypatch.setenv("GRID_WARNING_MIN_COUNT", "7")
    monkeypatch.setenv("GRID_REPEAT_MIN_COUNT", "4")
    monkeypatch.setenv("GRID_DB_NAME", "haikou_other")
    settings = Settings()
    assert (settings.warnings.min_count, settings.repeats.min_count, settings.db.name) == (7, 4, "haikou_other")
    assert settings.db.sqlalchemy_url.endswith("/haikou_other")


def test_comma_separated_lists_are_lists(monkeypatch):
    monkeypatch.setenv("GRID_REPLICA_URLS", "postgresql://reader@10.0.0.2/haikou, postgres://reader@10.0.0.3/haikou,")
    monkeypatch.setenv("GRID_TRUSTED_PROXIES", "10.0.0.1 ,10.0.0.9")
    assert Replicas().sqlalchemy_urls == ["postgresql+psycopg://reader@10.0.0.2/haikou",
                                          "postgresql+psycopg://reader@10.0.0.3/haikou"]
    assert Web().trusted_proxies == ["10.0.0.1", "10.0.0.9"]


def test_the_public_url_decides_the_default_trusted_hosts(monkeypatch):
    monkeypatch.delenv("GRID_TRUSTED_HOSTS", raising=False)   # set for the test client by conftest
    monkeypatch.setenv("GRID_PUBLIC_URL", "https://Grid.Haikou.gov.cn/api")
    web = Web()
    assert web.public_url == "https://Grid.Haikou.gov.cn/api/"
    assert web.trusted_hosts == ["127.0.0.1", "grid.haikou.gov.cn", "localhost"]
    monkeypatch.setenv("GRID_TRUSTED_HOSTS", "Grid.Haikou.gov.cn")
    assert Web().trusted_hosts == ["grid.haikou.gov.cn"]


@pytest.mark.parametrize(("group", "variables", "named"), [
    (Dataset, {"GRID_HOUSEHOLDS_PER_GRID_MIN": "600", "GRID_HOUSEHOLDS_PER_GRID_MAX": "500"},
     "GRID_HOUSEHOLDS_PER_GRID_MIN"),
    (Limits, {"GRID_MAX_JSON_BYTES": "2000000", "GRID_MAX_BODY_BYTES": "1000000"}, "GRID_MAX_JSON_BYTES"),
    (Warnings, {"GRID_WARNING_WINDOW_DAYS": "60", "GRID_WARNING_BASELINE_DAYS": "30"}, "GRID_WARNING_BASELINE_DAYS"),
])
def test_combinations_that_cannot_work_are_refused_with_the_variable_named(monkeypatch, group, variables, named):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=named):
        group()
