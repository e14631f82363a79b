"""Bulk API 2.0 query jobs under `/services/data/vXX.X/jobs/query`.

A job is evaluated when it is created (a snapshot, like the platform's) and reports
UploadComplete, then InProgress, then JobComplete on the poll set by
`bulk_polls_to_complete`. Results are CSV pages addressed by an opaque `Sforce-Locator`
(the literal `null` on the last page) with `Sforce-NumberOfRecords`; asking before the job is
complete answers 412 JOB_NOT_COMPLETE. Creating, aborting and deleting a query job change no
records, so the control plane counts them as reads.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import itertools
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.control import mark_read
from leadsync.sandbox.salesforce import ids, query, soql
from leadsync.sandbox.salesforce.errors import ApiError, json_response
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.values import format_datetime

BASE = "/services/data/<version>/jobs/query"
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}  # fmt: skip
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
DEFAULT_PAGE = 100_000


@dataclass
class QueryJob:
    id: str
    operation: str
    sobject: str
    version: str
    created: str
    delimiter: str
    line_ending: str
    header: list[str]
    rows: list[list[Any]]
    state: str = "UploadComplete"
    polls: int = 0

    def info(self, user_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.sobject,
            "createdById": user_id,
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version),
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
        }
        if self.polls:
            done = self.state == "JobComplete"
            body.update(
                jobType="V2Query",
                retries=0,
                totalProcessingTime=0,
                numberRecordsProcessed=len(self.rows) if done else 0,
            )
        return body


def register(app: Flask, state: SalesforceState) -> None:
    serials = itertools.count(1)

    @app.post(BASE)
    def create_job(version: str) -> Response:
        mark_read()
        job = _new_job(state, version, ids.make_id("750", next(serials)))
        with state.locked():
            state.jobs[job.id] = job
        return json_response(job.info(state.settings.user_id))

    @app.get(BASE)
    def list_jobs(version: str) -> Response:
        with state.locked():
            infos = [j.info(state.settings.user_id) for j in state.jobs.values()]
        return json_response({"done": True, "records": infos, "nextRecordsUrl": None})

    @app.get(f"{BASE}/<job_id>")
    def job_info(version: str, job_id: str) -> Response:
        with state.locked():
            job = _job(state, job_id)
            if job.state in ("UploadComplete", "InProgress"):
                job.polls += 1
                done = job.polls >= state.settings.bulk_polls_to_complete
                job.state = "JobComplete" if done else "InProgress"
            return json_response(job.info(state.settings.user_id))

    @app.patch(f"{BASE}/<job_id>")
    def abort_job(version: str, job_id: str) -> Response:
        mark_read()
        body = request.get_json(silent=True) or {}
        with state.locked():
            job = _job(state, job_id)
            if body.get("state") != "Aborted":
                raise ApiError(400, "INVALIDJOB", "A query job can only be set to Aborted")
            if job.state in ("UploadComplete", "InProgress"):
                job.state = "Aborted"
            return json_response(job.info(state.settings.user_id))

    @app.delete(f"{BASE}/<job_id>")
    def delete_job(version: str, job_id: str) -> Response:
        mark_read()
        with state.locked():
            _job(state, job_id)
            del state.jobs[job_id]
        return Response(status=204)

    @app.get(f"{BASE}/<job_id>/results")
    def results(version: str, job_id: str) -> Response:
        with state.locked():
            job = _job(state, job_id)
            if job.state != "JobComplete":
                raise ApiError(412, "JOB_NOT_COMPLETE", _not_complete(job.state))
            if job.version != version:
                raise ApiError(409, "API_ERROR", "Use the API version the job was created with")
        return _results_page(job)


def _new_job(state: SalesforceState, version: str, job_id: str) -> QueryJob:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        raise ApiError(400, "INVALIDJOB", f"Invalid operation for a query job: {operation}")
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
        raise ApiError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
    if body.get("contentType", "CSV") != "CSV":
        raise ApiError(400, "INVALIDJOB", "Query jobs only support the CSV content type")
    parsed = _bulk_query(state, str(body.get("query") or ""))
    with state.locked():
        now = state.now()
        rows = state.rows(parsed.sobject.name, include_deleted=operation == "queryAll")
        matched = query.run(parsed, rows, state.live, now)
        getters = [query.value_getter(p, state.live, folded=False) for p in parsed.fields]
        table = [[get(rec) for get in getters] for rec in matched]
    header = [".".join(p.key) for p in parsed.fields]
    return QueryJob(job_id, operation, parsed.sobject.name, version, format_datetime(now),
                    delimiter, line_ending, header, table)  # fmt: skip


def _bulk_query(state: SalesforceState, text: str) -> soql.Query:
    if not text:
        raise ApiError(400, "INVALIDJOB", "A query job needs a 'query'")
    parsed = soql.parse(text, state.org.sobject)
    if parsed.count_only:
        raise ApiError(400, "API_ERROR", "Aggregate functions such as COUNT() are not supported")
    if parsed.offset is not None:
        raise ApiError(400, "API_ERROR", "OFFSET is not supported by Bulk API 2.0 query jobs")
    return parsed


def _job(state: SalesforceState, job_id: str) -> QueryJob:
    job = state.jobs.get(job_id)
    if job is None:
        raise ApiError(404, "NOT_FOUND", "Job not found")
    return job


def _not_complete(current: str) -> str:
    status = {"InProgress": "IN_PROGRESS", "UploadComplete": "UPLOAD_COMPLETE"}.get(
        current, current.upper()
    )
    return (
        "can only download query results of successfully completed bulk job with status: "
        f"JOB_COMPLETE. Current status: {status}"
    )


def _results_page(job: QueryJob) -> Response:
    start = _decode_locator(request.args.get("locator"))
    size = request.args.get("maxRecords", str(DEFAULT_PAGE))
    if not size.isdigit() or int(size) < 1:
        raise ApiError(400, "API_ERROR", f"Invalid maxRecords: {size}")
    chunk = job.rows[start : start + int(size)]
    end = start + len(chunk)
    locator = _encode_locator(end) if end < len(job.rows) else "null"
    headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(chunk))}
    body = _csv(job, chunk)
    return Response(body, status=200, headers=headers, content_type="text/csv")


def _csv(job: QueryJob, rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=DELIMITERS[job.delimiter],
        lineterminator=LINE_ENDINGS[job.line_ending],
        quoting=csv.QUOTE_ALL,
    )
    writer.writerow(job.header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encode_locator(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str | None) -> int:
    if not locator:
        return 0
    try:
        padded = locator + "=" * (-len(locator) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "API_ERROR", f"Invalid locator: {locator}") from None
