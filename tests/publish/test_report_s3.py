"""`assetpub report --to s3://…`: the live deploy against the one before, its history and
its cascades, read from a real S3 API (moto's server)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assetpub.cli import main
from assetpub.publish import open_target, publish
from tests.publish.conftest import build_site


def test_report_of_an_s3_target(site, tmp_path, moto_url, bucket):
    target = f"s3://{bucket}/assets"
    first = build_site(site, tmp_path / "one")
    publish(first.out, target=open_target(target, endpoint_url=moto_url))
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + ".c{color:green}\n")
    second = build_site(site, tmp_path / "two")
    publish(second.out, target=open_target(target, endpoint_url=moto_url))

    result = CliRunner().invoke(main, ["report", "--to", target, "--endpoint-url", moto_url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {f["name"] for f in data["files"]} == set(second.manifest.assets)
    assert [h["live"] for h in data["history"]] == [False, True]
    assert data["history"][1]["uploaded"] < data["history"][0]["uploaded"]
    by = {c["name"]: c for c in data["changes"]["changes"]}
    assert by["css/base.css"]["cause"] == "content"
    assert by["css/base.css"]["cascaded_to"] == ["css/app.css", "index.html"]  # index.html links app.css
    assert by["css/app.css"]["cause"] == "references" and by["css/app.css"]["because"] == ["css/base.css"]
    assert by["index.html"]["cause"] == "references" and by["index.html"]["because"] == ["css/app.css"]

    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--to", target, "--endpoint-url", moto_url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert data["history"][1]["id"] in out.read_text()
