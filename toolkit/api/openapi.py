"""The OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json)."""

from functools import cache

from questionnaires import AREA_IDS
from toolkit.assessments.models import STATUSES
from toolkit.core import instrument

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_YEAR = {"type": "integer", "minimum": 1, "maximum": 1000000}
_CYCLE = {"type": "integer", "minimum": 1, "maximum": 9999}
_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
# Any text but a null character, which every request refuses (toolkit/core/guards.py).
_TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}


def _problem(description: str) -> dict:
    schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {"description": description, "content": {"application/problem+json": schema}}


def _ok(schema: str) -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {"description": "OK", "content": content}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_ERRORS = {
    "400": _problem("A parameter is not valid: `detail` says which."),
    "401": _problem("No token, or not a valid one."),
    "403": _problem("The token's owner may not see this."),
}

_SCHEMAS = {
    "Problem": {
        "type": "object",
        "required": ["title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
    },
    "City": {
        "type": "object",
        "required": ["slug", "name", "country", "population", "tags"],
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "country": {"type": "string"},
            "population": {"type": ["integer", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
    "CityList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/City"}}},
    },
    "AreaScores": {
        "type": "object",
        "required": list(AREA_IDS),
        "properties": {area_id: _NUMBER_OR_NULL for area_id in AREA_IDS},
    },
    "Assessment": {
        "type": "object",
        "required": [
            "id",
            "city",
            "cycle",
            "questionnaire",
            "questionnaire_version",
            "status",
            "overall",
            "completeness",
            "areas",
        ],
        "properties": {
            "id": {"type": "integer"},
            "city": {"type": "string"},
            "cycle": {"type": "integer"},
            "questionnaire": {"type": "string"},
            "questionnaire_version": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "overall": _NUMBER_OR_NULL,
            "completeness": {"type": "number", "minimum": 0, "maximum": 1},
            "areas": {"$ref": "#/components/schemas/AreaScores"},
        },
    },
    "AssessmentPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Assessment"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "Answer": {
        "type": "object",
        "required": [
            "question",
            "value",
            "not_applicable",
            "data_year",
            "data_source",
            "carried_over",
            "carried_over_from",
            "version",
        ],
        "properties": {
            "question": {"type": "string", "description": "The question's stable id."},
            "value": {
                "type": ["number", "string", "array", "null"],
                "items": {"type": "string"},
                "description": "A level, a number (in the question's unit), yes/no, a choice "
                "id or a list of choice ids; null when not answered or not applicable.",
            },
            "not_applicable": {"type": "boolean"},
            "data_year": {
                "type": ["integer", "null"],
                "description": "Number questions: the year the figure describes; null when "
                "not given (and for other questions).",
            },
            "data_source": {
                "type": ["string", "null"],
                "maxLength": 300,
                "description": "Number questions: the publication or office the figure comes "
                "from; null when not given.",
            },
            "carried_over": {
                "type": "boolean",
                "description": "Copied from an earlier cycle, and not yet confirmed or changed.",
            },
            "carried_over_from": {
                "type": ["integer", "null"],
                "description": "The cycle a carried-over answer comes from (null otherwise).",
            },
            "version": {"type": "integer", "minimum": 1},
        },
    },
    "AssessmentDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Assessment"},
            {
                "type": "object",
                "required": ["scorecard", "answers"],
                "properties": {
                    "scorecard": {"type": "object"},
                    "answers": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Answer"},
                        "description": "The stored answers, in questionnaire order.",
                    },
                },
            },
        ]
    },
    "Spread": {
        "type": ["object", "null"],
        "properties": {
            "cities": {"type": "integer"},
            "minimum": {"type": "number"},
            "lower_quartile": {"type": "number"},
            "median": {"type": "number"},
            "upper_quartile": {"type": "number"},
            "maximum": {"type": "number"},
        },
    },
    "ComparedRow": {
        "type": "object",
        "required": [
            "assessment_id",
            "city",
            "city_slug",
            "country",
            "cycle",
            "status",
            "overall",
            "areas",
        ],
        "properties": {
            "assessment_id": {"type": "integer"},
            "city": {"type": "string"},
            "city_slug": {"type": "string"},
            "country": {"type": "string"},
            "cycle": {"type": "integer"},
            "status": {"type": "string"},
            "overall": _NUMBER_OR_NULL,
            "areas": {"$ref": "#/components/schemas/AreaScores"},
        },
    },
    "Comparison": {
        "type": "object",
        "required": [
            "questionnaire",
            "cycle",
            "status",
            "country",
            "cohort",
            "rows",
            "statistics",
            "nothing_found",
        ],
        "properties": {
            "questionnaire": {"type": "string"},
            "cycle": {"type": "integer"},
            "status": {"type": "string"},
            "country": {"type": ["string", "null"]},
            "cohort": {"type": ["string", "null"]},
            "nothing_found": {
                "type": ["string", "null"],
                "description": "Why there are no rows, naming the filter; null with rows.",
            },
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/ComparedRow"}},
            "statistics": {
                "type": "object",
                "properties": {
                    area_id: {"$ref": "#/components/schemas/Spread"} for area_id in AREA_IDS
                },
            },
        },
    },
}


@cache
def document() -> dict:
    """The OpenAPI document, with the questionnaires this app has."""
    questionnaire = {"type": "string", "enum": list(instrument.titles())}
    assessment_id = {
        "name": "assessment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ASUS City Self-Assessment Toolkit API",
            "version": "1",
            "description": (
                "Read-only access to cities, assessments, scorecards and comparisons. "
                "Create a token on the page /account/api-tokens and send it as "
                "`Authorization: Bearer <token>`; it has its owner's rights. "
                "Scores are 0 to 100, or null where there is none."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/cities": {
                "get": {
                    "summary": "The cities the token's owner may see",
                    "operationId": "listCities",
                    "responses": {"200": _ok("CityList"), "401": _ERRORS["401"]},
                }
            },
            "/api/v1/assessments": {
                "get": {
                    "summary": "Assessments, filtered and paginated",
                    "operationId": "listAssessments",
                    "parameters": [
                        _query("page", _YEAR, "Page, from 1."),
                        _query(
                            "per_page",
                            {"type": "integer", "minimum": 1, "maximum": 100},
                            "Rows a page.",
                        ),
                        _query("questionnaire", questionnaire, "The questionnaire's id."),
                        _query("cycle", _CYCLE, "The cycle (year)."),
                        _query("status", {"type": "string", "enum": list(STATUSES)}, "Status."),
                        _query("country", _TEXT, "Country code, e.g. VN."),
                        _query("city", _TEXT, "City slug, e.g. da-nang."),
                    ],
                    "responses": {"200": _ok("AssessmentPage"), **_ERRORS},
                }
            },
            "/api/v1/assessments/{assessment_id}": {
                "get": {
                    "summary": "One assessment with its scorecard and its answers",
                    "operationId": "getAssessment",
                    "parameters": [assessment_id],
                    "responses": {
                        "200": _ok("AssessmentDetail"),
                        **_ERRORS,
                        "404": _problem("No such assessment, or not shared with the owner."),
                    },
                }
            },
            "/api/v1/compare": {
                "get": {
                    "summary": "Cities compared by area, with each area's spread",
                    "operationId": "compare",
                    "parameters": [
                        _query("questionnaire", questionnaire, "The questionnaire's id."),
                        _query(
                            "cycle",
                            _CYCLE,
                            "The cycle (year); default: the latest with approved assessments. "
                            "A cycle without assessments gives no rows and `nothing_found`.",
                        ),
                        _query("country", _TEXT, "Country code."),
                        _query("cohort", _ID, "Cohort id; an unknown one is a 400."),
                        _query(
                            "status",
                            {"type": "string", "enum": [*STATUSES, "any"]},
                            "Default approved.",
                        ),
                    ],
                    "responses": {"200": _ok("Comparison"), **_ERRORS},
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS,
        },
    }
