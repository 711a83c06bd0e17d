"""People and roles through the API: sign-in sessions with CSRF, role gates, personal tokens, the audit
trail, and passwords that never come back out."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import CSRF_HEADER, SESSION_COOKIE
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import Stack, make_settings, running_stack

PASSWORDS = {
    "ada@msp.example": "Ada's long passphrase 1",
    "tom@msp.example": "Tom's long passphrase 2",
    "vera@msp.example": "Vera's long passphrase 3",
}
POLICY = "/api/v1/policies/set_ticket_status"
WRONG = {"detail": "wrong email or password", "code": "invalid_credentials"}


@asynccontextmanager
async def stack_for(tmp_path: Path, database_url: str | None) -> AsyncIterator[Stack]:
    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    async with running_stack(make_settings(tmp_path, database_url), llm, FakeConnectWise()) as stack:
        yield stack


async def add_user(stack: Stack, email: str, role: str, name: str) -> dict[str, Any]:
    body = {"email": email, "display_name": name, "role": role, "password": PASSWORDS[email]}
    response = await stack.api.post("/api/v1/users", json=body, headers=stack.auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def sign_in(stack: Stack, email: str) -> tuple[dict[str, str], httpx.Response]:
    """Headers a browser would send after signing in (cookie + CSRF), and the sign-in response."""
    response = await stack.api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORDS[email]})
    assert response.status_code == 200, response.text
    cookie = response.cookies[SESSION_COOKIE]
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: response.json()["csrf_token"]}, response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_sign_in_sets_a_strict_cookie_and_unsafe_requests_need_the_csrf_header(
    tmp_path: Path, database_url: str | None
) -> None:
    async with stack_for(tmp_path, database_url) as stack:
        api = stack.api
        ada = await add_user(stack, "ada@msp.example", "admin", "Ada")
        unknown = await api.post(
            "/api/v1/auth/login", json={"email": "nobody@msp.example", "password": "whatever it is"}
        )
        wrong = await api.post(
            "/api/v1/auth/login", json={"email": "ada@msp.example", "password": "not her password"}
        )
        browser, signed_in = await sign_in(stack, "ada@msp.example")
        cookie_only = {"Cookie": browser["Cookie"]}
        me = await api.get("/api/v1/auth/me", headers=cookie_only)
        read = await api.get("/api/v1/workflows", headers=cookie_only)  # safe method: no CSRF needed
        no_csrf = await api.put(POLICY, json={"mode": "auto"}, headers=cookie_only)
        bad_csrf = await api.put(POLICY, json={"mode": "auto"}, headers={**cookie_only, CSRF_HEADER: "guess"})
        with_csrf = await api.put(POLICY, json={"mode": "auto"}, headers=browser)
        token_put = await api.put(POLICY, json={"mode": "approval"}, headers=stack.auth)  # bearer: no CSRF
        logout_no_csrf = await api.post("/api/v1/auth/logout", headers=cookie_only)
        logout = await api.post("/api/v1/auth/logout", headers=browser)
        after_logout = await api.get("/api/v1/auth/me", headers=cookie_only)
        nothing = await api.get("/api/v1/auth/me")
        service = await api.get("/api/v1/auth/me", headers=stack.auth)

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == WRONG  # no hint which part was wrong
    assert SESSION_COOKIE not in unknown.cookies and SESSION_COOKIE not in wrong.cookies

    set_cookie = signed_in.headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/", "max-age=604800"):
        assert attribute in set_cookie
    body = signed_in.json()
    assert body["user"]["id"] == ada["id"] and body["user"]["role"] == "admin"
    assert "password_hash" not in json.dumps(body) and len(body["csrf_token"]) >= 32
    assert body["csrf_token"] not in browser["Cookie"]

    assert me.status_code == 200
    assert me.json()["via"] == "session" and me.json()["user"]["email"] == "ada@msp.example"
    assert me.json()["csrf_token"] == body["csrf_token"]  # a reloaded page can fetch it again
    assert read.status_code == 200
    assert (no_csrf.status_code, no_csrf.json()["code"]) == (403, "csrf_failed")
    assert CSRF_HEADER in no_csrf.json()["detail"]
    assert (bad_csrf.status_code, bad_csrf.json()["code"]) == (403, "csrf_failed")
    assert with_csrf.status_code == 200 and with_csrf.json()["mode"] == "auto"
    assert token_put.status_code == 200
    assert logout_no_csrf.status_code == 403
    assert logout.status_code == 204
    assert (
        SESSION_COOKIE in logout.headers["set-cookie"] and "max-age=0" in logout.headers["set-cookie"].lower()
    )
    assert (after_logout.status_code, after_logout.json()["code"]) == (401, "invalid_session")
    assert (nothing.status_code, nothing.json()["code"]) == (401, "missing_token")
    assert service.json() == {
        "name": "service token tests",
        "role": "admin",
        "via": "token",
        "user": None,
        "csrf_token": None,
    }


async def test_roles_gate_changes_tokens_carry_their_users_role_and_the_audit_shows_who(
    tmp_path: Path, database_url: str | None
) -> None:
    async with stack_for(tmp_path, database_url) as stack:
        api = stack.api
        ada = await add_user(stack, "ada@msp.example", "admin", "Ada")
        tom = await add_user(stack, "tom@msp.example", "technician", "Tom")
        vera = await add_user(stack, "vera@msp.example", "viewer", "Vera")
        tokens: dict[str, str] = {}
        token_ids: dict[str, int] = {}
        for email in PASSWORDS:
            browser, _ = await sign_in(stack, email)
            made = await api.post("/api/v1/users/me/tokens", json={"name": "laptop"}, headers=browser)
            assert made.status_code == 201, made.text
            tokens[email], token_ids[email] = made.json()["token"], made.json()["id"]
        listed = (await api.get("/api/v1/users/me/tokens", headers=bearer(tokens["tom@msp.example"]))).json()
        vera_auth, tom_auth = bearer(tokens["vera@msp.example"]), bearer(tokens["tom@msp.example"])
        ada_auth = bearer(tokens["ada@msp.example"])

        viewer_reads = [
            (await api.get(path, headers=vera_auth)).status_code
            for path in ("/api/v1/workflows", "/api/v1/policies", "/api/v1/activity", "/api/v1/clients")
        ]
        viewer_policy = await api.put(POLICY, json={"mode": "auto"}, headers=vera_auth)
        viewer_users = await api.get("/api/v1/users", headers=vera_auth)
        viewer_audit = await api.get("/api/v1/audit", headers=vera_auth)
        viewer_client = await api.post("/api/v1/clients", json={"name": "Sneaky"}, headers=vera_auth)
        tech_policy = await api.put(POLICY, json={"mode": "auto"}, headers=tom_auth)
        tech_integration = await api.post(
            "/api/v1/integrations",
            json={"kind": "connectwise", "name": "Other", "config": {}},
            headers=tom_auth,
        )
        tech_test = await api.post(f"/api/v1/integrations/{stack.integration_id}/test", headers=tom_auth)
        tech_me = (await api.get("/api/v1/auth/me", headers=tom_auth)).json()
        admin_policy = await api.put(POLICY, json={"mode": "auto"}, headers=ada_auth)
        policy_audit = (
            await api.get("/api/v1/audit", params={"action": "policy.changed"}, headers=ada_auth)
        ).json()

        demoted = await api.patch(f"/api/v1/users/{tom['id']}", json={"role": "viewer"}, headers=stack.auth)
        demoted_me = (await api.get("/api/v1/auth/me", headers=tom_auth)).json()
        foreign_revoke = await api.delete(
            f"/api/v1/users/me/tokens/{token_ids['tom@msp.example']}", headers=ada_auth
        )
        revoke = await api.delete(f"/api/v1/users/me/tokens/{token_ids['tom@msp.example']}", headers=tom_auth)
        revoked_use = await api.get("/api/v1/workflows", headers=tom_auth)
        deactivated = await api.patch(f"/api/v1/users/{vera['id']}", json={"active": False}, headers=ada_auth)
        inactive_use = await api.get("/api/v1/workflows", headers=vera_auth)
        service_personal = await api.post("/api/v1/users/me/tokens", json={"name": "x"}, headers=stack.auth)
        trail = (await api.get("/api/v1/audit", params={"limit": 1000}, headers=stack.auth)).json()["items"]

    assert [t["name"] for t in listed["items"]] == ["laptop"] and "token" not in listed["items"][0]
    assert viewer_reads == [200, 200, 200, 200]
    assert viewer_policy.status_code == 403
    assert viewer_policy.json() == {
        "detail": "this needs the admin role; you are a viewer",
        "code": "forbidden",
    }
    assert viewer_users.status_code == viewer_audit.status_code == viewer_client.status_code == 403
    assert tech_policy.status_code == 403
    assert tech_policy.json()["detail"] == "this needs the admin role; you are a technician"
    assert tech_integration.status_code == tech_test.status_code == 403
    assert (tech_me["role"], tech_me["via"], tech_me["name"]) == ("technician", "token", "Tom")
    assert admin_policy.status_code == 200 and admin_policy.json()["mode"] == "auto"
    [changed] = policy_audit["items"]
    assert (changed["actor_user_id"], changed["actor_name"]) == (ada["id"], "Ada")
    assert changed["detail"] == {
        "tool": "set_ticket_status",
        "client_id": None,
        "before": "approval",
        "after": "auto",
        "destructive_confirmed": False,
    }

    assert demoted.status_code == 200 and demoted_me["role"] == "viewer"  # the token follows its user
    assert foreign_revoke.status_code == 404
    assert revoke.status_code == 204
    assert (revoked_use.status_code, revoked_use.json()["code"]) == (401, "invalid_token")
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert (inactive_use.status_code, inactive_use.json()["code"]) == (401, "user_inactive")
    assert (service_personal.status_code, service_personal.json()["code"]) == (400, "no_user")

    seen = {(e["action"], e["actor_name"], e["target_id"]) for e in trail}
    assert ("user.created", "service token tests", str(tom["id"])) in seen
    assert ("user.role_changed", "service token tests", str(tom["id"])) in seen
    assert ("user.deactivated", "Ada", str(vera["id"])) in seen
    assert ("token.created", "Vera", str(token_ids["vera@msp.example"])) in seen
    assert ("token.revoked", "Tom", str(token_ids["tom@msp.example"])) in seen
    assert {e["actor_name"] for e in trail if e["action"] == "auth.login"} == {"Ada", "Tom", "Vera"}
    role_change = next(e for e in trail if e["action"] == "user.role_changed")
    assert role_change["detail"] == {"before": "technician", "after": "viewer"}


async def test_passwords_never_appear_in_responses_logs_or_the_audit_trail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    new_password, reset_password, short = "Ada's brand new phrase", "Reset by the service 42", "tiny-pw"
    responses: list[httpx.Response] = []
    async with stack_for(tmp_path, None) as stack:
        api = stack.api
        await add_user(stack, "ada@msp.example", "admin", "Ada")
        responses.append(
            await api.post(
                "/api/v1/users",
                json={"email": "x@msp.example", "display_name": "X", "role": "viewer", "password": short},
                headers=stack.auth,
            )
        )
        responses.append(
            await api.post("/api/v1/auth/login", json={"email": "ada@msp.example", "password": new_password})
        )
        responses.append(await api.post("/api/v1/auth/login", json={"email": 5, "password": new_password}))
        browser, signed_in = await sign_in(stack, "ada@msp.example")
        _, other_browser = await sign_in(stack, "ada@msp.example")
        other = {"Cookie": f"{SESSION_COOKIE}={other_browser.cookies[SESSION_COOKIE]}"}
        responses.append(signed_in)
        change = {"current_password": PASSWORDS["ada@msp.example"], "new_password": new_password}
        wrong_current = {"current_password": "not the current one", "new_password": new_password}
        responses.append(await api.put("/api/v1/users/me/password", json=wrong_current, headers=browser))
        responses.append(await api.put("/api/v1/users/me/password", json=change, headers=browser))
        still_here = await api.get("/api/v1/auth/me", headers={"Cookie": browser["Cookie"]})
        elsewhere = await api.get("/api/v1/auth/me", headers=other)
        old = await api.post(
            "/api/v1/auth/login", json={"email": "ada@msp.example", "password": PASSWORDS["ada@msp.example"]}
        )
        responses.append(old)
        new = await api.post(
            "/api/v1/auth/login", json={"email": "ada@msp.example", "password": new_password}
        )
        responses.append(new)
        users = (await api.get("/api/v1/users", headers=stack.auth)).json()
        ada_id = users["items"][0]["id"]
        responses.append(
            await api.put(
                f"/api/v1/users/{ada_id}/password", json={"password": reset_password}, headers=stack.auth
            )
        )
        after_reset = await api.get("/api/v1/auth/me", headers={"Cookie": browser["Cookie"]})
        responses.append(await api.get("/api/v1/users", headers=stack.auth))
        responses.append(await api.get("/api/v1/audit", params={"limit": 1000}, headers=stack.auth))
        schema = (await api.get("/openapi.json")).json()["components"]["schemas"]

    statuses = [r.status_code for r in responses]
    assert statuses == [400, 401, 422, 200, 400, 204, 401, 200, 204, 200, 200]
    assert responses[0].json()["code"] == "weak_password"
    assert responses[4].json()["code"] == "wrong_password"
    assert still_here.status_code == 200  # the session that changed the password stays signed in
    assert (elsewhere.status_code, after_reset.status_code) == (401, 401)  # every other session ended
    assert new.json()["user"]["email"] == "ada@msp.example"
    secrets = [short, new_password, reset_password, *PASSWORDS.values()]
    for response in responses:
        shown = response.text + json.dumps(dict(response.headers))
        assert not [s for s in secrets if s in shown], response.request.url
    assert "password" not in json.dumps(users) and "password" not in json.dumps(schema["UserRead"])
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "sign-in refused for ada@msp.example: wrong_password" in caplog.text
    assert not [s for s in secrets if s in logged]
    actions = [e["action"] for e in responses[-1].json()["items"]]
    assert {"user.password_changed", "user.password_reset", "auth.login_failed"} <= set(actions)


async def test_the_command_line_creates_users_and_tokens_that_act_as_them(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKHAND_")}
    env["DESKHAND_DATA_DIR"] = str(settings.data_dir)
    deskhand = [sys.executable, "-c", "from api.cli import app; app()"]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*deskhand, *args], input=stdin, env=env, capture_output=True, text=True, check=False
        )

    password = PASSWORDS["tom@msp.example"]
    create = ["users", "create", "--email", "Tom@MSP.example", "--name", "Tom", "--role", "technician"]
    created = run(*create, "--password-stdin", stdin=password + "\n")
    again = run(*create, "--password-stdin", stdin=password + "\n")
    bad_role = run("users", "create", "--email", "a@b.c", "--name", "A", "--role", "owner")
    personal = run("tokens", "create", "--name", "tom-rmm", "--user", "tom@msp.example")
    nobody = run("tokens", "create", "--name", "x", "--user", "ghost@msp.example")
    listed = run("users", "list")

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().endswith("tom@msp.example created as technician.")
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert bad_role.returncode == 1 and "unknown role 'owner'" in bad_role.stderr
    assert personal.returncode == 0 and "acting as tom@msp.example" in personal.stdout
    assert nobody.returncode == 1 and "no active user with email ghost@msp.example" in nobody.stderr
    assert "tom@msp.example\tTom\ttechnician\tactive" in listed.stdout
    assert password not in created.stdout + created.stderr + listed.stdout
    token = personal.stdout.strip().splitlines()[-1]

    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    async with running_stack(settings, llm, FakeConnectWise(), with_integration=False) as stack:
        me = (await stack.api.get("/api/v1/auth/me", headers=bearer(token))).json()
        login = await stack.api.post(
            "/api/v1/auth/login", json={"email": "tom@msp.example", "password": password}
        )
    assert (me["name"], me["role"], me["via"]) == ("Tom", "technician", "token")
    assert login.status_code == 200
