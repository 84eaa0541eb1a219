import Foundation

/// The OpenAPI 3 description of the API, served at `/openapi.json`.
///
/// Written by hand; the enumerations of pack ids, phases, rule ids and norm ids are filled in at
/// start from what the server loaded (`@PACKS@`, `@PHASES@`, `@RULES@`, `@NORMS@`), so that the
/// document is exact for the packs of this server. The error responses the paths refer to
/// (`#/components/responses/…`) all have one shape and are built from ``errorResponses``.
/// `NormServerTests` checks that it lists every route.
enum OpenAPIDocument {
  /// The error responses of `components/responses`: a JSON ``Error`` with the request id and the
  /// `headers` named (of `components/headers`), and HTML too where the upload form may get it.
  static let errorResponses: [(name: String, description: String, html: Bool, headers: [String])] = [
    (
      "BadRequest",
      "Bad parameters, a malformed multipart body, no document in the form, or both a file and pasted text.", true, []
    ),
    ("NotAcceptable", "The Accept header names no format this server writes.", true, []),
    ("PayloadTooLarge", "The body is larger than --max-body; nothing was checked.", true, []),
    ("UnsupportedMediaType", "The Content-Type is neither XML nor multipart/form-data.", true, []),
    (
      "Overloaded", "Too many requests in flight (--jobs plus --queue); retry after Retry-After seconds.", true,
      ["Retry-After"]
    ),
    ("RuleNotFound", "No such rule in the packs loaded.", false, []),
    ("NormNotFound", "No such norm in the catalog.", false, []),
  ]

  /// One entry of `components/responses`, as JSON.
  static func errorResponse(description: String, html: Bool, headers: [String]) -> [String: Any] {
    var content: [String: Any] = ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]
    if html { content["text/html"] = ["schema": ["type": "string"]] }
    let references = (["X-Request-Id"] + headers).map { ($0, ["$ref": "#/components/headers/\($0)"]) }
    return [
      "description": description, "headers": Dictionary(uniqueKeysWithValues: references), "content": content,
    ]
  }

  /// The document with its placeholders filled in, as pretty-printed JSON with sorted keys.
  static func render(packs: [String], phases: [String], rules: [String], norms: [String]) -> String {
    guard var object = try? JSONSerialization.jsonObject(with: Data(template.utf8)) as? [String: Any],
      var components = object["components"] as? [String: Any],
      var schemas = components["schemas"] as? [String: Any]
    else { return template }
    for (name, values) in [("PackId", packs), ("Phase", phases), ("RuleId", rules), ("NormId", norms)] {
      guard var schema = schemas[name] as? [String: Any] else { continue }
      schema["enum"] = values
      schemas[name] = schema
    }
    components["schemas"] = schemas
    components["responses"] = Dictionary(
      uniqueKeysWithValues: errorResponses.map {
        ($0.name, errorResponse(description: $0.description, html: $0.html, headers: $0.headers))
      })
    object["components"] = components
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    else { return template }
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// The hand-written document.
  static let template = ##"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "normcheck serve",
        "version": "1.0.0",
        "description": "Checks states' cyber-norm declarations (XML) against the declaration schema and Schematron rule packs encoding the international norms. A document that is not well-formed, is hostile (external entities, entity expansion bombs, deep nesting, binary) or breaks the schema is answered with 200 and a report whose findings say so (NC-XML, NC-LIMIT, NC-XSD, NC-EVAL); a request that cannot be checked at all (too large, wrong media type, bad parameters, overload) is answered with a 4xx or 503 and a JSON (or, for the upload form, HTML) message.",
        "license": {
          "name": "see the repository"
        }
      },
      "paths": {
        "/": {
          "get": {
            "operationId": "uploadPage",
            "summary": "The upload page (HTML form, no JavaScript).",
            "responses": {
              "200": {
                "description": "The page.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "text/html": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "/healthz": {
          "get": {
            "operationId": "health",
            "summary": "Liveness, the packs loaded, the limits and the current load.",
            "responses": {
              "200": {
                "description": "The server is up.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Health"
                    }
                  }
                }
              }
            }
          }
        },
        "/openapi.json": {
          "get": {
            "operationId": "openAPI",
            "summary": "This document.",
            "responses": {
              "200": {
                "description": "The OpenAPI document.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/check": {
          "post": {
            "operationId": "check",
            "summary": "Check one declaration and return the report.",
            "description": "The declaration is the request body (application/xml), or a multipart/form-data upload with the document in the field 'file' (a file) or 'xml' (pasted text), not both. The report format is the format parameter, else negotiated from Accept (application/json, application/sarif+json, application/xml for SVRL, text/html), JSON by default. The document is checked in memory and never stored.",
            "parameters": [
              {
                "name": "format",
                "in": "query",
                "required": false,
                "description": "The report format; overrides the Accept header. The upload page sends html.",
                "schema": {
                  "$ref": "#/components/schemas/Format"
                }
              },
              {
                "name": "as-of",
                "in": "query",
                "required": false,
                "description": "Measure freshness against this date instead of each declaration's submission date.",
                "schema": {
                  "$ref": "#/components/schemas/Date"
                }
              },
              {
                "name": "phase",
                "in": "query",
                "required": false,
                "description": "The Schematron phase to run (#DEFAULT: each pack's default; #ALL: every pattern).",
                "schema": {
                  "$ref": "#/components/schemas/Phase"
                }
              },
              {
                "name": "packs",
                "in": "query",
                "required": false,
                "style": "form",
                "explode": false,
                "description": "Only these packs (comma-separated ids); default: every pack the server runs.",
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/PackId"
                  },
                  "minItems": 1,
                  "uniqueItems": true
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/xml": {
                  "schema": {
                    "type": "string"
                  }
                },
                "multipart/form-data": {
                  "schema": {
                    "$ref": "#/components/schemas/Upload"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The report. X-Normcheck-Verdict says pass or fail (fail: a finding at error level or above, including NC-XML for a document that is not well-formed or hostile).",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  },
                  "X-Normcheck-Verdict": {
                    "$ref": "#/components/headers/X-Normcheck-Verdict"
                  },
                  "X-Normcheck-Findings": {
                    "$ref": "#/components/headers/X-Normcheck-Findings"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Report"
                    }
                  },
                  "application/sarif+json": {
                    "schema": {
                      "$ref": "#/components/schemas/SARIF"
                    }
                  },
                  "application/xml": {
                    "schema": {
                      "type": "string"
                    }
                  },
                  "text/html": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/BadRequest"
              },
              "406": {
                "$ref": "#/components/responses/NotAcceptable"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "503": {
                "$ref": "#/components/responses/Overloaded"
              }
            }
          }
        },
        "/v1/rules": {
          "get": {
            "operationId": "listRules",
            "summary": "The rules of the packs the server runs.",
            "responses": {
              "200": {
                "description": "Every rule.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Rule"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/rules/{id}": {
          "get": {
            "operationId": "explainRule",
            "summary": "One rule and its explanation: what it checks, why, the norms cited, how to fix.",
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "$ref": "#/components/schemas/RuleId"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The rule.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Explanation"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/RuleNotFound"
              }
            }
          }
        },
        "/v1/norms": {
          "get": {
            "operationId": "listNorms",
            "summary": "The norm catalog.",
            "responses": {
              "200": {
                "description": "Every norm.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Norm"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/norms/{id}": {
          "get": {
            "operationId": "getNorm",
            "summary": "One catalog entry.",
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "$ref": "#/components/schemas/NormId"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The norm.",
                "headers": {
                  "X-Request-Id": {
                    "$ref": "#/components/headers/X-Request-Id"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Norm"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/NormNotFound"
              }
            }
          }
        }
      },
      "components": {
        "headers": {
          "X-Request-Id": {
            "description": "The request's id, also in every log line about it.",
            "schema": {
              "type": "string",
              "minLength": 1
            }
          },
          "X-Normcheck-Verdict": {
            "description": "pass or fail at the error threshold.",
            "schema": {
              "type": "string",
              "enum": [
                "pass",
                "fail"
              ]
            }
          },
          "X-Normcheck-Findings": {
            "description": "The number of findings.",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          }
        },
        "schemas": {
          "Format": {
            "type": "string",
            "enum": [
              "json",
              "sarif",
              "svrl",
              "html"
            ]
          },
          "Date": {
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
          },
          "PackId": {
            "type": "string",
            "enum": [
              "@PACKS@"
            ]
          },
          "Phase": {
            "type": "string",
            "enum": [
              "@PHASES@"
            ]
          },
          "RuleId": {
            "type": "string",
            "enum": [
              "@RULES@"
            ]
          },
          "NormId": {
            "type": "string",
            "enum": [
              "@NORMS@"
            ]
          },
          "Upload": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "file": {
                "type": "string",
                "description": "The declaration file (its XML text; a browser sends it as a file upload)."
              },
              "xml": {
                "type": "string",
                "description": "The declaration's XML text, pasted."
              },
              "format": {
                "$ref": "#/components/schemas/Format"
              },
              "as-of": {
                "description": "As the as-of parameter; empty (the upload form's untouched date field) means not given.",
                "anyOf": [
                  {
                    "$ref": "#/components/schemas/Date"
                  },
                  {
                    "type": "string",
                    "maxLength": 0
                  }
                ]
              },
              "phase": {
                "$ref": "#/components/schemas/Phase"
              },
              "packs": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/PackId"
                },
                "uniqueItems": true
              }
            },
            "oneOf": [
              {
                "required": [
                  "file"
                ],
                "properties": {
                  "xml": {
                    "type": "string",
                    "pattern": "^\\s*$"
                  }
                }
              },
              {
                "required": [
                  "xml"
                ],
                "properties": {
                  "xml": {
                    "type": "string",
                    "pattern": "\\S"
                  }
                },
                "not": {
                  "required": [
                    "file"
                  ]
                }
              }
            ],
            "description": "The declaration is in exactly one of file and xml. A blank xml field (the upload form's untouched text area) counts as not given; so does a file part with an empty filename and no content (the form's file field with no file chosen)."
          },
          "Error": {
            "type": "object",
            "required": [
              "status",
              "error",
              "message",
              "requestId"
            ],
            "properties": {
              "status": {
                "type": "integer"
              },
              "error": {
                "type": "string"
              },
              "message": {
                "type": "string"
              },
              "requestId": {
                "type": "string"
              }
            }
          },
          "Health": {
            "type": "object",
            "required": [
              "status",
              "version",
              "packs",
              "rules",
              "limits",
              "load"
            ],
            "properties": {
              "status": {
                "type": "string",
                "enum": [
                  "ok"
                ]
              },
              "version": {
                "type": "string"
              },
              "packs": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "rules": {
                "type": "integer"
              },
              "limits": {
                "type": "object",
                "required": [
                  "maxBodyBytes",
                  "jobs",
                  "queue",
                  "maxFindings"
                ],
                "properties": {
                  "maxBodyBytes": {
                    "type": "integer"
                  },
                  "jobs": {
                    "type": "integer"
                  },
                  "queue": {
                    "type": "integer"
                  },
                  "maxEvalOps": {
                    "type": "integer",
                    "description": "A fixed budget of XPath operations per document and pack (0: none); absent: the automatic budget, 1 000 per element and at least 50 million."
                  },
                  "maxFindings": {
                    "type": "integer"
                  }
                }
              },
              "load": {
                "type": "object",
                "required": [
                  "admitted",
                  "running",
                  "waiting"
                ],
                "properties": {
                  "admitted": {
                    "type": "integer"
                  },
                  "running": {
                    "type": "integer"
                  },
                  "waiting": {
                    "type": "integer"
                  }
                }
              }
            }
          },
          "Report": {
            "type": "object",
            "required": [
              "schemaVersion",
              "tool",
              "summary",
              "files"
            ],
            "description": "normcheck's JSON report (schemaVersion 1.0), as `normcheck check --format json` writes it.",
            "properties": {
              "schemaVersion": {
                "type": "string",
                "enum": [
                  "1.0"
                ]
              },
              "tool": {
                "type": "object",
                "required": [
                  "name",
                  "version"
                ],
                "properties": {
                  "name": {
                    "type": "string"
                  },
                  "version": {
                    "type": "string"
                  }
                }
              },
              "asOf": {
                "type": "string"
              },
              "summary": {
                "type": "object",
                "required": [
                  "files",
                  "filesWithFindings",
                  "fatal",
                  "error",
                  "warning",
                  "info",
                  "waived",
                  "failed"
                ],
                "properties": {
                  "files": {
                    "type": "integer"
                  },
                  "filesWithFindings": {
                    "type": "integer"
                  },
                  "fatal": {
                    "type": "integer"
                  },
                  "error": {
                    "type": "integer"
                  },
                  "warning": {
                    "type": "integer"
                  },
                  "info": {
                    "type": "integer"
                  },
                  "waived": {
                    "type": "integer"
                  },
                  "failed": {
                    "type": "boolean"
                  }
                }
              },
              "files": {
                "type": "array",
                "items": {
                  "type": "object",
                  "required": [
                    "path",
                    "parsed",
                    "findings"
                  ],
                  "properties": {
                    "path": {
                      "type": "string"
                    },
                    "state": {
                      "type": "string"
                    },
                    "cycle": {
                      "type": "string"
                    },
                    "parsed": {
                      "type": "boolean"
                    },
                    "findings": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Finding"
                      }
                    }
                  }
                }
              }
            }
          },
          "Finding": {
            "type": "object",
            "required": [
              "ruleId",
              "origin",
              "severity",
              "message",
              "norms",
              "line",
              "column",
              "fingerprint",
              "baselined"
            ],
            "properties": {
              "ruleId": {
                "type": "string"
              },
              "pack": {
                "type": "string"
              },
              "origin": {
                "type": "string"
              },
              "severity": {
                "type": "string",
                "enum": [
                  "fatal",
                  "error",
                  "warning",
                  "info"
                ]
              },
              "message": {
                "type": "string"
              },
              "norms": {
                "type": "array",
                "items": {
                  "type": "object",
                  "required": [
                    "id"
                  ],
                  "properties": {
                    "id": {
                      "type": "string"
                    },
                    "citation": {
                      "type": "string"
                    }
                  }
                }
              },
              "fix": {
                "type": "string"
              },
              "see": {
                "type": "string"
              },
              "line": {
                "type": "integer"
              },
              "column": {
                "type": "integer"
              },
              "xpath": {
                "type": "string"
              },
              "fingerprint": {
                "type": "string"
              },
              "waiver": {
                "type": "object"
              },
              "baselined": {
                "type": "boolean"
              }
            }
          },
          "SARIF": {
            "type": "object",
            "required": [
              "version",
              "runs"
            ],
            "description": "SARIF 2.1.0.",
            "properties": {
              "version": {
                "type": "string",
                "enum": [
                  "2.1.0"
                ]
              },
              "$schema": {
                "type": "string"
              },
              "runs": {
                "type": "array",
                "items": {
                  "type": "object"
                }
              }
            }
          },
          "Rule": {
            "type": "object",
            "required": [
              "id",
              "pack",
              "severity",
              "kind",
              "message",
              "context",
              "test",
              "norms",
              "file",
              "line"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "pack": {
                "type": "string"
              },
              "severity": {
                "type": "string",
                "enum": [
                  "fatal",
                  "error",
                  "warning",
                  "info"
                ]
              },
              "kind": {
                "type": "string"
              },
              "message": {
                "type": "string"
              },
              "topic": {
                "type": "string"
              },
              "context": {
                "type": "string"
              },
              "test": {
                "type": "string"
              },
              "norms": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "fix": {
                "type": "string"
              },
              "see": {
                "type": "string"
              },
              "file": {
                "type": "string"
              },
              "line": {
                "type": "integer"
              }
            }
          },
          "Explanation": {
            "type": "object",
            "required": [
              "rule",
              "pack",
              "packTitle",
              "explanation"
            ],
            "properties": {
              "rule": {
                "$ref": "#/components/schemas/Rule"
              },
              "pack": {
                "type": "string"
              },
              "packTitle": {
                "type": "string"
              },
              "explanation": {
                "type": "string"
              }
            }
          },
          "Norm": {
            "type": "object",
            "required": [
              "id",
              "title",
              "source",
              "level",
              "status",
              "paraphrase"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "title": {
                "type": "string"
              },
              "source": {
                "type": "string"
              },
              "level": {
                "type": "string"
              },
              "symbol": {
                "type": "string"
              },
              "location": {
                "type": "string"
              },
              "year": {
                "type": "string"
              },
              "url": {
                "type": "string"
              },
              "status": {
                "type": "string"
              },
              "paraphrase": {
                "type": "string"
              }
            }
          }
        }
      }
    }
    """##
}
