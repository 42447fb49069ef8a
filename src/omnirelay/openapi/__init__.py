"""omnirelay's OpenAPI 3.1 contract: one YAML file per API family, merged and served at ``/openapi.json``."""

from omnirelay.openapi.document import FAMILY_FILES, openapi_document
from omnirelay.openapi.endpoint import openapi_json

__all__ = ["FAMILY_FILES", "openapi_document", "openapi_json"]
