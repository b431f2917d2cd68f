"""The file routes over HTTP (domain.md §12, api.md §10): ``POST /uploads``, ``GET
/documents/{id}``, and the document mutations through ``/graphql``."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from auth.jwt import issue_access_token
from auth.principal import Principal
from auth.sessions import create_session
from models.accounts import UserAccount
from models.documents import Document
from models.rules.uploads import JPEG, PDF, PNG
from models.settings import Settings, current_settings
from resolvers.documents import content_path
from schema.relay import parse_global_id, to_global_id
from schema.root import build_schema
from server.app import create_app
from tests.factories import World, build_world
from tests.file_samples import IMPOSTORS, SAMPLES, leftovers, stored_files, tiny_png

BASE_SETTINGS = Settings(env="test", secret_key="test-secret-key-with-more-than-32-characters")
SCHEMA = build_schema(BASE_SETTINGS)


def make_app(upload_dir: Path, **overrides: Any) -> Starlette:
    settings = Settings(
        env="test",
        secret_key=BASE_SETTINGS.secret_key,
        upload_dir=upload_dir,
        **overrides,
    )
    return create_app(settings, SCHEMA, init_db=False)


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def bearer(principal: Principal) -> dict[str, str]:
    assert principal.account_id is not None and principal.role is not None
    token, _ = issue_access_token(
        principal.account_id, principal.role.value, datetime.now(UTC), current_settings()
    )
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client(make_app(tmp_path)) as http:
        yield http


async def post_file(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    *,
    filename: str = "form8.pdf",
    declared: str = "application/pdf",
    kind: str | None = "FORM8",
    case_id: str | None = None,
) -> httpx.Response:
    data = {}
    if kind is not None:
        data["kind"] = kind
    if case_id is not None:
        data["caseId"] = case_id
    return await http.post(
        "/uploads", headers=headers, files={"file": (filename, content, declared)}, data=data
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    return dict(error)


async def graphql(
    http: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", headers=headers, json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# ---------------------------------------------------------------- POST /uploads


@pytest.mark.parametrize("content_type", [PDF, JPEG, PNG])
async def test_each_accepted_type_is_uploaded(
    world: World, http: httpx.AsyncClient, tmp_path: Path, content_type: str
) -> None:
    # given a tiny file declared as something else entirely
    content, filename = SAMPLES[content_type]
    # when
    response = await post_file(
        http,
        bearer(world.specialist_s1_user),
        content,
        filename=filename,
        declared="application/octet-stream",
        kind="RECEIPT",
    )
    # then
    assert response.status_code == 201, response.text
    body = response.json()
    sha256 = hashlib.sha256(content).hexdigest()
    assert body["sha256"] == sha256 and body["size"] == len(content)
    assert body["contentType"] == content_type and body["kind"] == "RECEIPT"
    assert body["filename"] == filename
    parsed = parse_global_id(body["id"])
    assert parsed is not None and parsed[0] == "Document"
    assert response.headers["location"] == f"/documents/{body['id']}"
    assert content_path(tmp_path, sha256).read_bytes() == content


@pytest.mark.parametrize("impostor", ["exe", "html", "svg", "empty"])
async def test_a_file_that_is_not_pdf_jpeg_or_png_is_415(
    world: World, http: httpx.AsyncClient, tmp_path: Path, impostor: str
) -> None:
    response = await post_file(
        http, bearer(world.specialist_s1_user), IMPOSTORS[impostor], filename="scan.pdf"
    )
    assert response.status_code == 415
    assert error_of(response) == {
        "message": "PDF・JPEG・PNG のいずれかのファイルを選択してください。",
        "extensions": {
            "code": "BAD_USER_INPUT",
            "errorCode": "UNSUPPORTED_FILE_TYPE",
            "field": ["file"],
        },
    }
    assert stored_files(tmp_path) == [] and await Document.filter(filename="scan.pdf").count() == 0


async def test_a_file_over_the_limit_is_413_and_nothing_is_stored(
    world: World, tmp_path: Path
) -> None:
    content = SAMPLES[PDF][0] + b"%" * 4096
    async with client(make_app(tmp_path, max_upload_bytes=4096)) as http:
        # a body within the route's allowance (limit + multipart overhead): refused by the route
        over = await post_file(http, bearer(world.specialist_s1_user), content)
        # a body beyond it: refused by the body-limit middleware before it is read
        huge = await post_file(http, bearer(world.specialist_s1_user), content * 40)
        # exactly at the limit is accepted
        exact = await post_file(http, bearer(world.specialist_s1_user), content[:4096])
    assert over.status_code == 413 and huge.status_code == 413
    assert error_of(over)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "errorCode": "FILE_TOO_LARGE",
        "field": ["file"],
    }
    assert "4 KB以下" in error_of(over)["message"]
    assert error_of(huge)["extensions"]["code"] == "BAD_USER_INPUT"
    assert exact.status_code == 201
    assert stored_files(tmp_path) == [content_path(tmp_path, exact.json()["sha256"])]
    assert await Document.filter(size_bytes__gt=4096).count() == 0


async def test_a_streamed_body_over_the_limit_is_413_while_it_is_read(
    world: World, tmp_path: Path
) -> None:
    # given a multipart body sent in chunks, without Content-Length
    files = {"file": ("a.pdf", SAMPLES[PDF][0] + b"%" * 200_000, "application/pdf")}
    request = httpx.Request(
        "POST", "http://testserver/uploads", files=files, data={"kind": "FORM8"}
    )
    body = request.read()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    headers = bearer(world.specialist_s1_user) | {"content-type": request.headers["content-type"]}
    # when
    async with client(make_app(tmp_path, max_upload_bytes=1000)) as http:
        response = await http.post("/uploads", content=chunks(), headers=headers)
    # then
    assert response.status_code == 413
    assert error_of(response)["extensions"]["code"] == "BAD_USER_INPUT"
    assert stored_files(tmp_path) == [] and await Document.all().count() == 1  # the world's


async def test_uploads_may_exceed_the_graphql_body_limit_but_graphql_may_not(
    world: World, tmp_path: Path
) -> None:
    content = SAMPLES[PDF][0] + b"%" * 3000
    async with client(make_app(tmp_path, max_body_bytes=1000)) as http:
        uploaded = await post_file(http, bearer(world.specialist_s1_user), content)
        query = {"query": "{ viewer { role } }", "variables": {"pad": "x" * 2000}}
        graphql_response = await http.post("/graphql", json=query)
    assert uploaded.status_code == 201
    assert graphql_response.status_code == 413


async def test_anonymous_uploads_and_downloads_are_401(
    world: World, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    upload = await post_file(http, {}, SAMPLES[PDF][0])
    download = await http.get(f"/documents/{to_global_id('Document', world.document_s1_c1)}")
    bad_token = await post_file(http, {"authorization": "Bearer not-a-jwt"}, SAMPLES[PDF][0])
    for response in (upload, download, bad_token):
        assert response.status_code == 401
        assert error_of(response)["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert stored_files(tmp_path) == []


async def test_a_cookie_session_needs_the_csrf_header(
    world: World, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    # given a browser session of S1
    account = await UserAccount.get(id=world.specialist_s1_user.account_id)
    cookie = {"cookie": f"haken_session={await create_session(account, datetime.now(UTC))}"}
    # when the form is posted without / with the CSRF header
    refused = await post_file(http, cookie, SAMPLES[PDF][0])
    accepted = await post_file(http, cookie | {"x-haken-csrf": "1"}, SAMPLES[PDF][0])
    # then
    assert refused.status_code == 403
    assert error_of(refused)["extensions"]["code"] == "FORBIDDEN"
    assert accepted.status_code == 201
    document_path = f"/documents/{accepted.json()['id']}"
    assert (await http.get(document_path, headers=cookie)).status_code == 403
    assert (
        await http.get(document_path, headers=cookie | {"x-haken-csrf": "1"})
    ).status_code == 200


async def test_the_same_bytes_twice_are_one_file_on_disk(
    world: World, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    content = SAMPLES[JPEG][0]
    first = await post_file(http, bearer(world.specialist_s1_user), content, filename="a.jpg")
    second = await post_file(http, bearer(world.specialist_s1_user), content, filename="b.jpg")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert stored_files(tmp_path) == [content_path(tmp_path, first.json()["sha256"])]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("data", "field", "error_code"),
    [
        ({}, ["kind"], "REQUIRED"),
        ({"kind": "PASSPORT"}, ["kind"], "INVALID"),
        ({"kind": "FORM8", "caseId": "not-an-id"}, ["caseId"], "INVALID"),
    ],
)
async def test_a_malformed_form_is_400(
    world: World,
    http: httpx.AsyncClient,
    data: dict[str, str],
    field: list[str],
    error_code: str,
) -> None:
    response = await http.post(
        "/uploads",
        headers=bearer(world.specialist_s1_user),
        files={"file": ("a.pdf", SAMPLES[PDF][0], "application/pdf")},
        data=data,
    )
    assert response.status_code == 400
    assert error_of(response)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "errorCode": error_code,
        "field": field,
    }


async def test_a_form_without_a_file_or_not_multipart_is_400(
    world: World, http: httpx.AsyncClient
) -> None:
    headers = bearer(world.specialist_s1_user)
    no_file = await http.post(  # "file" sent as a plain field, not as a file part
        "/uploads", headers=headers, files={"file": (None, "x")}, data={"kind": "FORM8"}
    )
    as_json = await http.post("/uploads", headers=headers, json={"kind": "FORM8"})
    two_files = await http.post(
        "/uploads",
        headers=headers,
        files=[("file", ("a.png", tiny_png(), "image/png")), ("file", ("b.png", b"x", "x/y"))],
        data={"kind": "FORM8"},
    )
    assert error_of(no_file)["extensions"]["field"] == ["file"]
    assert [r.status_code for r in (no_file, as_json, two_files)] == [400, 400, 400]


async def test_a_case_out_of_scope_is_404_and_a_forbidden_kind_403(
    world: World, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    headers = bearer(world.specialist_s1_user)
    foreign_case = to_global_id("DispatchCase", world.case_s2_c2)
    missing_case = to_global_id("DispatchCase", 999_999)
    foreign = await post_file(http, headers, SAMPLES[PDF][0], case_id=foreign_case)
    missing = await post_file(http, headers, SAMPLES[PDF][0], case_id=missing_case)
    forbidden = await post_file(http, headers, SAMPLES[PDF][0], kind="COMMISSION_LETTER")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert error_of(foreign)["extensions"]["field"] == ["caseId"]
    assert forbidden.status_code == 403
    assert error_of(forbidden)["extensions"]["code"] == "FORBIDDEN"
    assert stored_files(tmp_path) == []


async def test_a_path_in_the_file_name_is_harmless(
    world: World, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    # given a name that tries to climb out of the upload directory
    sneaky = "../../../../tmp/evil\u202efdp.sh"
    response = await post_file(
        http, bearer(world.specialist_s1_user), SAMPLES[PDF][0], filename=sneaky
    )
    # then the file lives under its hash and the name is only a label
    assert response.status_code == 201
    assert response.json()["filename"] == "evilfdp.sh.pdf"
    assert [p.parent.parent for p in stored_files(tmp_path)] == [tmp_path]
    assert not (tmp_path.parent / "evil").exists()
    download = await http.get(
        f"/documents/{response.json()['id']}", headers=bearer(world.specialist_s1_user)
    )
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"evilfdp.sh.pdf\"; filename*=UTF-8''evilfdp.sh.pdf"
    )


# ---------------------------------------------------------------- GET /documents/{id}


async def test_the_owner_and_the_secretariat_download_the_file(
    world: World, http: httpx.AsyncClient
) -> None:
    # given S1 uploaded a 様式8 for its case
    content = SAMPLES[PDF][0]
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    uploaded = await post_file(
        http, bearer(world.specialist_s1_user), content, filename="様式8 山田.pdf", case_id=case_id
    )
    path = f"/documents/{uploaded.json()['id']}"
    for party in ("specialist_s1_user", "secretariat_kanto", "secretariat_national"):
        # when
        response = await http.get(path, headers=bearer(getattr(world, party)))
        # then
        assert response.status_code == 200, party
        assert response.content == content
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == (
            'attachment; filename="__8 __.pdf"; '
            "filename*=UTF-8''%E6%A7%98%E5%BC%8F8%20%E5%B1%B1%E7%94%B0.pdf"
        )
        assert "no-store" in response.headers["cache-control"]


async def test_out_of_scope_is_404_exactly_like_a_missing_document(
    world: World, http: httpx.AsyncClient
) -> None:
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    uploaded = await post_file(
        http, bearer(world.specialist_s1_user), SAMPLES[PNG][0], kind="RECEIPT", case_id=case_id
    )
    path = f"/documents/{uploaded.json()['id']}"
    missing = await http.get(
        f"/documents/{to_global_id('Document', 999_999)}", headers=bearer(world.secretariat_kanto)
    )
    assert missing.status_code == 404
    responses = [
        await http.get(path, headers=bearer(getattr(world, party)))
        for party in (
            "specialist_s2_user",
            "company_c2_user",
            "company_c1_user",  # its own case, but a receipt shows travel amounts
            "platform_o2_staff",
            "secretariat_kinki",
        )
    ]
    others = [
        await http.get(f"/documents/{gid}", headers=bearer(world.secretariat_national))
        for gid in ("abc", to_global_id("DispatchCase", world.case_s1_c1), "RG9jdW1lbnQ6LTE=")
    ]
    for response in [*responses, *others]:
        assert response.status_code == 404
        assert response.content == missing.content
    assert missing.json()["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "errorCode": "NOT_FOUND",
    }


# ---------------------------------------------------------------- GraphQL


DOCUMENT_UPLOAD = """
mutation ($input: DocumentUploadInput!) {
  documentUpload(input: $input) {
    document { id kind filename contentType sizeBytes receivedByPost downloadUrl }
    userErrors { field code message }
  }
}
"""

MARK_RECEIVED = """
mutation ($input: DocumentMarkReceivedInput!) {
  documentMarkReceived(input: $input) {
    document { id kind receivedByPost downloadUrl }
    userErrors { field code message }
  }
}
"""


async def test_an_upload_is_attached_to_a_case_and_downloaded_via_its_url(
    world: World, http: httpx.AsyncClient
) -> None:
    # given S1 uploaded a receipt without naming a case
    headers = bearer(world.specialist_s1_user)
    uploaded = await post_file(http, headers, SAMPLES[JPEG][0], filename="r.jpg", kind="RECEIPT")
    document_id = uploaded.json()["id"]
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    # when S1 attaches it to its case
    result = await graphql(
        http, headers, DOCUMENT_UPLOAD, input={"documentId": document_id, "caseId": case_id}
    )
    # then it is a document of the case with a download URL that works
    payload = result["data"]["documentUpload"]
    assert payload["userErrors"] == []
    assert payload["document"] == {
        "id": document_id,
        "kind": "RECEIPT",
        "filename": "r.jpg",
        "contentType": "image/jpeg",
        "sizeBytes": len(SAMPLES[JPEG][0]),
        "receivedByPost": False,
        "downloadUrl": f"/documents/{document_id}",
    }
    office = await http.get(
        payload["document"]["downloadUrl"], headers=bearer(world.secretariat_kanto)
    )
    assert office.status_code == 200 and office.content == SAMPLES[JPEG][0]
    # and the company sees the document but gets no URL for a receipt
    query = "query ($id: ID!) { node(id: $id) { ... on Document { kind downloadUrl } } }"
    seen = await graphql(http, bearer(world.company_c1_user), query, id=document_id)
    assert seen["data"]["node"] == {"kind": "RECEIPT", "downloadUrl": None}


async def test_document_upload_reports_foreign_documents_and_cases_as_user_errors(
    world: World, http: httpx.AsyncClient
) -> None:
    uploaded = await post_file(http, bearer(world.specialist_s1_user), SAMPLES[PDF][0])
    document_id = uploaded.json()["id"]
    own_case = to_global_id("DispatchCase", world.case_s1_c1)
    foreign_case = to_global_id("DispatchCase", world.case_s2_c2)
    by_s2 = await graphql(
        http,
        bearer(world.specialist_s2_user),
        DOCUMENT_UPLOAD,
        input={"documentId": document_id, "caseId": to_global_id("DispatchCase", world.case_s2_c1)},
    )
    to_foreign = await graphql(
        http,
        bearer(world.specialist_s1_user),
        DOCUMENT_UPLOAD,
        input={"documentId": document_id, "caseId": foreign_case},
    )
    wrong_type = await graphql(
        http,
        bearer(world.specialist_s1_user),
        DOCUMENT_UPLOAD,
        input={"documentId": own_case, "caseId": own_case},
    )
    assert by_s2["data"]["documentUpload"]["userErrors"] == [
        {
            "field": ["input", "documentId"],
            "code": "NOT_FOUND",
            "message": "指定された書類が見つかりません。",
        }
    ]
    assert to_foreign["data"]["documentUpload"]["userErrors"][0]["field"] == ["input", "caseId"]
    assert wrong_type["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await Document.get(id=parse_global_id(document_id)[1])).case_id is None  # type: ignore[index, attr-defined]


async def test_the_secretariat_marks_a_form8_received_through_graphql(
    world: World, http: httpx.AsyncClient
) -> None:
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    marked = await graphql(
        http,
        bearer(world.secretariat_kanto),
        MARK_RECEIVED,
        input={"caseId": case_id, "kind": "FORM8"},
    )
    payload = marked["data"]["documentMarkReceived"]
    assert payload["userErrors"] == []
    assert payload["document"]["kind"] == "FORM8" and payload["document"]["receivedByPost"]
    assert payload["document"]["downloadUrl"] is None  # paper only: nothing to download
    wrong_kind = await graphql(
        http,
        bearer(world.secretariat_kanto),
        MARK_RECEIVED,
        input={"caseId": case_id, "kind": "PHOTO"},
    )
    assert wrong_kind["data"]["documentMarkReceived"]["userErrors"][0]["code"] == (
        "DOCUMENT_KIND_MISMATCH"
    )
    withdrawn = await graphql(
        http,
        bearer(world.secretariat_kanto),
        MARK_RECEIVED,
        input={"caseId": case_id, "kind": "FORM8", "received": False},
    )
    assert withdrawn["data"]["documentMarkReceived"] == {"document": None, "userErrors": []}


async def test_marking_received_is_forbidden_for_other_roles(
    world: World, http: httpx.AsyncClient
) -> None:
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    result = await graphql(
        http,
        bearer(world.specialist_s1_user),
        MARK_RECEIVED,
        input={"caseId": case_id, "kind": "FORM8"},
    )
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Document.filter(received_by_post=True).count() == 0
