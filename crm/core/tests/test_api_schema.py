"""The OpenAPI document and the documentation page."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def fetch_schema() -> dict:
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_a_valid_openapi_3_document(db):
    schema = fetch_schema()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document
    assert schema["info"]["title"] == "CRM API"
    for path in ("/api/v1/contacts/", "/api/v1/contacts/{id}/", "/api/v1/companies/", "/api/v1/users/me/"):
        assert path in schema["paths"], path
    contact_list = schema["paths"]["/api/v1/contacts/"]
    assert {"get", "post"} <= set(contact_list)
    assert {"get", "put", "patch", "delete"} <= set(schema["paths"]["/api/v1/contacts/{id}/"])


def test_schema_as_json(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/companies/" in schema["paths"]


def test_schema_documents_the_token_scheme(db):
    schema = fetch_schema()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert "Token" in schemes["tokenAuth"]["description"]
    security = schema["paths"]["/api/v1/contacts/"]["get"]["security"]
    assert {"tokenAuth": []} in security


def test_schema_generation_has_no_warnings_or_errors(db):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)


def test_docs_page_renders_without_loading_anything_off_site(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "/api/schema/" in html
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html, flags=re.IGNORECASE)
    assert references, "the page loads its viewer script"
    off_site = [url for url in references if urlparse(url).scheme in {"http", "https"} or url.startswith("//")]
    assert off_site == []
    # Nothing in inline CSS either (an @import of a web font, say).
    assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", html)
    script = re.search(r'<script src="([^"]+redoc[^"]*\.js)"', html)
    assert script, html[:2000]
    # The viewer script itself is served locally.
    from django.contrib.staticfiles import finders

    assert finders.find(script.group(1).removeprefix("/static/")) is not None
