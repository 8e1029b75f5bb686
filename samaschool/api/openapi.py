"""The OpenAPI 3.1 description of /api/v1. Tests validate real responses against it."""

from __future__ import annotations

from flask import url_for

from samaschool.web import DB_INT_MAX

PUBLIC_ID_PATTERN = "^usr_[0-9a-hjkmnp-tv-z]{16}$"
ROW_ID_DEPRECATION = (
    "Deprecated: the user's row id. Use the public id (`user`) instead; row ids are accepted and "
    "returned until the next release of the API, then removed."
)


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


UNAVAILABLE = _error_response("The database is briefly unreachable: retry after the Retry-After header's seconds")
RATE_LIMITED = _error_response(
    "Too many requests with this token, or too many unknown or revoked tokens from this address: wait and retry"
)
OUT_OF_SCOPE = _error_response("The token may not read this pool (an admin sets which pools each token reads)")


def _user_ids() -> dict:
    """`user` and, until the next release, `user_id`: the properties that name a user in answers."""
    return {
        "user": {"type": "string", "pattern": PUBLIC_ID_PATTERN, "description": "The user's public id"},
        "user_id": {"type": "integer", "deprecated": True, "description": ROW_ID_DEPRECATION},
    }


def document() -> dict:
    ok = "application/json"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Samaschool API",
            "version": "1.1.0",
            "description": (
                "Read-only access to learners' certificates and pool eligibility, for partners. Each token "
                "reads only the pools an admin chose for it, and workers' names and countries only when "
                "allowed. Users are named by their public id (`usr_…`); integer row ids are deprecated "
                "and still accepted until the next release."
            ),
        },
        "servers": [{"url": url_for("api.openapi", _external=True).rsplit("/openapi.json", 1)[0]}],
        "security": [{"bearer": []}],
        "paths": {
            "/users/{user_id}/certificates": {
                "get": {
                    "operationId": "userCertificates",
                    "summary": "A user's certificates and their status",
                    "parameters": [{"$ref": "#/components/parameters/UserId"}],
                    "responses": {
                        "200": {
                            "description": "The certificates",
                            "content": {ok: {"schema": {"$ref": "#/components/schemas/UserCertificates"}}},
                        },
                        "401": _error_response("Missing, unknown or revoked token"),
                        "404": _error_response("No such user"),
                        "429": RATE_LIMITED,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/pools/{slug}/eligibility/{user_id}": {
                "get": {
                    "operationId": "poolEligibility",
                    "summary": "Whether a user may work in a pool, and why not",
                    "parameters": [
                        {"$ref": "#/components/parameters/Slug"},
                        {"$ref": "#/components/parameters/UserId"},
                    ],
                    "responses": {
                        "200": {
                            "description": "The decision",
                            "content": {ok: {"schema": {"$ref": "#/components/schemas/Eligibility"}}},
                        },
                        "401": _error_response("Missing, unknown or revoked token"),
                        "403": OUT_OF_SCOPE,
                        "404": _error_response("No such pool or user"),
                        "429": RATE_LIMITED,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/pools/{slug}/eligible-workers": {
                "get": {
                    "operationId": "eligibleWorkers",
                    "summary": "Workers eligible for a pool, paged",
                    "parameters": [
                        {"$ref": "#/components/parameters/Slug"},
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of workers",
                            "content": {ok: {"schema": {"$ref": "#/components/schemas/EligibleWorkers"}}},
                        },
                        "400": _error_response("Bad paging parameters"),
                        "401": _error_response("Missing, unknown or revoked token"),
                        "403": OUT_OF_SCOPE,
                        "404": _error_response("No such pool"),
                        "429": RATE_LIMITED,
                        "503": UNAVAILABLE,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "UserId": {
                    "name": "user_id",
                    "in": "path",
                    "required": True,
                    "description": "The user's public id (`user` in answers). Integer row ids are deprecated.",
                    "schema": {
                        "anyOf": [
                            {"type": "string", "pattern": PUBLIC_ID_PATTERN},
                            {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": DB_INT_MAX,
                                "deprecated": True,
                                "description": ROW_ID_DEPRECATION,
                            },
                        ]
                    },
                },
                "Slug": {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "additionalProperties": False,
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "additionalProperties": False,
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "enum": [
                                        "unauthorized",
                                        "not_found",
                                        "user_not_found",
                                        "pool_not_found",
                                        "bad_request",
                                        "rate_limited",
                                        "forbidden",
                                        "method_not_allowed",
                                        "too_large",
                                        "unavailable",
                                        "error",
                                    ],
                                },
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "Certificate": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "certification",
                        "name",
                        "code",
                        "status",
                        "issued_at",
                        "expires_at",
                        "revocation_reason",
                    ],
                    "properties": {
                        "certification": {"type": "string"},
                        "name": {"type": "string"},
                        "code": {"type": "string"},
                        "status": {"type": "string", "enum": ["valid", "expired", "revoked"]},
                        "issued_at": {"type": "string", "format": "date-time"},
                        "expires_at": {"type": ["string", "null"], "format": "date-time"},
                        "revocation_reason": {
                            "type": "null",
                            "deprecated": True,
                            "description": "Always null: a revocation's reason is shown only to the holder and "
                            "admins. Removed in the next release.",
                        },
                    },
                },
                "UserCertificates": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["user", "user_id", "certificates"],
                    "properties": {
                        **_user_ids(),
                        "certificates": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}},
                    },
                },
                "Eligibility": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["pool", "user", "user_id", "eligible", "reasons"],
                    "properties": {
                        "pool": {"type": "string"},
                        **_user_ids(),
                        "eligible": {"type": "boolean"},
                        "reasons": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["code", "message"],
                                "properties": {
                                    "code": {
                                        "type": "string",
                                        "enum": [
                                            "not_open",
                                            "account_inactive",
                                            "certification_missing",
                                            "certification_expired",
                                            "certification_revoked",
                                            "country",
                                            "suspended",
                                            "skill",
                                        ],
                                    },
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "EligibleWorkers": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["pool", "page", "per_page", "total", "workers"],
                    "properties": {
                        "pool": {"type": "string"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                        "workers": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["user", "user_id"],
                                "properties": {
                                    **_user_ids(),
                                    "name": {
                                        "type": "string",
                                        "description": "Only for tokens allowed to read names",
                                    },
                                    "country": {
                                        "type": "string",
                                        "description": "Only for tokens allowed to read countries",
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    }
