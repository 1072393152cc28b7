"""Text responses travel compressed (COMPRESS_RESPONSES): scripts, pages, callbacks and the API,
in the encoding the browser accepts; the map layers, gzipped once when cached, pass untouched
with their own ETag."""
from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _scripts(client) -> list[str]:
    page = client.get("/", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    return re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', page)


def _decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    assert encoding is None, encoding
    return body


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_scripts_and_the_page_come_compressed_and_decode_to_the_same_bytes(client_as, encoding):
    client = client_as("admin")
    scripts = _scripts(client)
    assert scripts, "the page names no component scripts"
    largest = max(scripts, key=lambda url: len(client.get(url, headers={"Accept-Encoding": "identity"}).get_data()))
    plain = client.get(largest, headers={"Accept-Encoding": "identity"})
    packed = client.get(largest, headers={"Accept-Encoding": encoding})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert _decoded(packed) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    page = client.get("/services", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == encoding
    assert b"_dash-config" in _decoded(page)


def test_compressed_scripts_keep_their_year_long_cache(client_as):
    """Scripts are fingerprinted by version: a repeat visit reads them from the browser's cache."""
    client = client_as("admin")
    for url in _scripts(client)[:5]:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age=31536000" in response.headers["Cache-Control"]


def test_callback_responses_are_compressed(client_as):
    from tests.callbacks import router_body

    client = client_as("admin")
    response = client.post("/_dash-update-component", json=router_body("/services", "?year=2022"),
                           headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "_pages_content" in json.loads(gzip.decompress(response.get_data()))["response"]


def test_map_layers_keep_their_own_gzip_and_etag(client_as):
    from api import packed_layer

    client = client_as("admin")
    response = client.get("/api/v1/map/thanh-hoa/security", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    body, etag = packed_layer("thanh-hoa", "security")
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.get_data() == body
    assert response.headers["ETag"] == f'"{etag}"'
    assert client.get("/api/v1/map/thanh-hoa/security",
                      headers={"Accept-Encoding": "gzip, br", "If-None-Match": f'"{etag}"'}).status_code == 304


def test_compression_can_be_left_to_a_proxy(demo_urls):
    """COMPRESS_RESPONSES=0: a proxy in front compresses; the app sends bytes as they are."""
    probe = ("from app import server\n"
             "import re\n"
             "client = server.test_client()\n"
             "page = client.get('/login', headers={'Accept-Encoding': 'gzip, br'})\n"
             "print(page.headers.get('Content-Encoding'))\n")
    environment = {**os.environ, "COMPRESS_RESPONSES": "0", "IOC_DATABASE_URL": demo_urls[0],
                   "KPI_DATABASE_URL": demo_urls[1]}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "None"
    environment["COMPRESS_RESPONSES"] = "1"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] in ("gzip", "br", "zstd"), result.stderr
