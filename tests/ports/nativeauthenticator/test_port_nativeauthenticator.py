"""jupyterhub-nativeauthenticator's test suite (from PyPI), ported onto hubfleet's plugin.

The original's `app` fixture builds `jupyterhub.tests.mocking.MockHub` (JupyterHub's
private test package) and initialises its database; here `configured_mockhub_instance`
gives the public `JupyterHub` application, whose `init_db` makes the same tables (the
authenticator's `UserInfo` included). Same tests, same assertions; the last test also
signs up and logs in through a running hub's real pages.
"""

from __future__ import annotations

import datetime
import dbm
import os
import time

import pytest
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import EmailAuthorizationHandler
from nativeauthenticator.orm import UserInfo

pytestmark = pytest.mark.asyncio  # the original ran in auto mode


@pytest.fixture
def app(configured_mockhub_instance):
    hub = configured_mockhub_instance()
    hub.init_db()
    return hub


@pytest.fixture
def tmpcwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def native(app, **traits):
    auth = NativeAuthenticator(db=app.db)
    for name, value in traits.items():
        setattr(auth, name, value)
    return auth


@pytest.mark.parametrize(
    "is_admin,open_signup,expected_authorization",
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
async def test_create_user(is_admin, open_signup, expected_authorization, tmpcwd, app):
    auth = native(app)
    if is_admin:
        auth.admin_users = {"johnsnow"}
    if open_signup:
        auth.open_signup = True
    auth.create_user("johnsnow", "password")
    user_info = UserInfo.find(app.db, "johnsnow")
    assert user_info.username == "johnsnow"
    assert user_info.is_authorized == expected_authorization


async def test_create_user_bad_characters(tmpcwd, app):
    auth = native(app)
    assert not auth.create_user("john snow", "password")
    assert not auth.create_user("john,snow", "password")


async def test_create_user_twice(tmpcwd, app):
    auth = native(app)
    assert auth.create_user("johnsnow", "password")
    assert not auth.create_user("johnsnow", "password")
    assert not auth.create_user("johnsnow", "adifferentpassword")


async def test_get_authed_users(tmpcwd, app):
    auth = native(app, admin_users=set())
    assert auth.get_authed_users() == set()
    auth.create_user("johnsnow", "password")
    assert auth.get_authed_users() == set()
    UserInfo.change_authorization(app.db, "johnsnow")
    assert auth.get_authed_users() == {"johnsnow"}
    auth.create_user("daenerystargaryen", "anotherpassword")
    assert auth.get_authed_users() == {"johnsnow"}
    auth.admin_users = {"daenerystargaryen"}
    assert "johnsnow" in auth.get_authed_users()
    assert "daenerystargaryen" in auth.get_authed_users()


async def test_get_unauthed_amount(tmpcwd, app):
    auth = native(app, admin_users=set())
    assert auth.get_unauthed_amount() == 0
    auth.create_user("johnsnow", "password")
    assert auth.get_unauthed_amount() == 1
    UserInfo.change_authorization(app.db, "johnsnow")
    assert auth.get_unauthed_amount() == 0
    auth.create_user("daenerystargaryen", "anotherpassword")
    assert auth.get_unauthed_amount() == 1
    auth.create_user("tyrionlannister", "yetanotherpassword")
    assert auth.get_unauthed_amount() == 2
    auth.admin_users = {"daenerystargaryen"}
    assert auth.get_unauthed_amount() == 1


@pytest.mark.parametrize(
    "password,min_len,expected",
    [
        ("qwerty", 1, False),
        ("agameofthrones", 1, True),
        ("agameofthrones", 15, False),
        ("averyveryverylongpassword", 15, True),
    ],
)
async def test_create_user_with_strong_passwords(password, min_len, expected, tmpcwd, app):
    auth = native(app, check_common_password=True, minimum_password_length=min_len)
    assert bool(auth.create_user("johnsnow", password)) == expected


async def test_change_password(tmpcwd, app):
    auth = native(app)
    user = auth.create_user("johnsnow", "password")
    assert user.is_valid_password("password")
    auth.change_password("johnsnow", "newpassword")
    assert not user.is_valid_password("password")
    assert user.is_valid_password("newpassword")


async def test_no_change_to_bad_password(tmpcwd, app):
    auth = native(app, check_common_password=True, minimum_password_length=8)
    auth.create_user("johnsnow", "ironwood")
    # not for a user that does not exist, nor too short, nor too common
    for name, new in (("samwelltarly", "palanquin"), ("johnsnow", "mummer"), ("johnsnow", "dragon")):
        assert auth.change_password(name, new) is None
        assert auth.get_user("johnsnow").is_valid_password("ironwood")
    # a password that meets the criteria works
    assert auth.change_password("johnsnow", "Daenerys") is not None
    assert not auth.get_user("johnsnow").is_valid_password("ironwood")
    assert auth.get_user("johnsnow").is_valid_password("Daenerys")


@pytest.mark.parametrize("enable_signup,expected_success", [(True, True), (False, False)])
async def test_create_user_disable(enable_signup, expected_success, tmpcwd, app):
    auth = native(app, enable_signup=enable_signup)
    user = auth.create_user("johnsnow", "password")
    if expected_success:
        assert user.username == "johnsnow"
    else:
        assert not user


@pytest.mark.parametrize(
    "username,password,authorized,expected",
    [
        ("name", "123", False, False),
        ("johnsnow", "123", True, False),
        ("Snow", "password", True, False),
        ("johnsnow", "password", False, False),
        ("johnsnow", "password", True, True),
    ],
)
async def test_authentication(username, password, authorized, expected, tmpcwd, app):
    auth = native(app)
    auth.create_user("johnsnow", "password")
    if authorized:
        UserInfo.change_authorization(app.db, "johnsnow")
    response = await auth.authenticate(app, {"username": username, "password": password})
    assert bool(response) == expected


async def test_handlers(app):
    routes = [route for route, *_ in native(app).get_handlers(app)]
    assert routes[:8] == [
        "/login",
        "/signup",
        "/discard/([^/]*)",
        "/authorize",
        "/authorize/([^/]*)",
        "/confirm/([^/]*)",
        "/change-password",
        "/change-password/([^/]+)",
    ]


async def test_add_new_attempt_of_login(tmpcwd, app):
    auth = native(app)
    assert not auth.login_attempts
    auth.add_login_attempt("username")
    assert auth.login_attempts["username"]["count"] == 1
    auth.add_login_attempt("username")
    assert auth.login_attempts["username"]["count"] == 2


async def test_authentication_login_count(tmpcwd, app):
    auth = native(app)
    infos = {"username": "johnsnow", "password": "password"}
    wrong_infos = {"username": "johnsnow", "password": "wrong_password"}
    auth.create_user(infos["username"], infos["password"])
    UserInfo.change_authorization(app.db, "johnsnow")
    assert not auth.login_attempts
    await auth.authenticate(app, wrong_infos)
    assert auth.login_attempts["johnsnow"]["count"] == 1
    await auth.authenticate(app, wrong_infos)
    assert auth.login_attempts["johnsnow"]["count"] == 2
    await auth.authenticate(app, infos)
    assert not auth.login_attempts.get("johnsnow")


async def test_authentication_with_exceed_atempts_of_login(tmpcwd, app):
    auth = native(app, allowed_failed_logins=3, secs_before_next_try=10)
    infos = {"username": "johnsnow", "password": "wrongpassword"}
    auth.create_user(infos["username"], "password")
    UserInfo.change_authorization(app.db, "johnsnow")
    for _ in range(3):
        assert not await auth.authenticate(app, infos)
    infos["password"] = "password"
    assert not await auth.authenticate(app, infos)
    time.sleep(12)  # the original waits out secs_before_next_try for real
    assert await auth.authenticate(app, infos)


async def test_get_user(tmpcwd, app):
    auth = native(app)
    auth.create_user("johnsnow", "password")
    assert auth.get_user("johnsnow") is not None
    assert auth.get_user("samwelltarly") is None


async def test_delete_user(tmpcwd, app):
    auth = native(app)
    auth.create_user("johnsnow", "password")
    auth.delete_user(type("User", (), {"name": "johnsnow"}))
    assert not UserInfo.find(app.db, "johnsnow")


def _has_real_dbm() -> bool:
    import importlib.util

    return any(importlib.util.find_spec(m) for m in ("_gdbm", "_dbm"))


# nativeauthenticator looks for `passwords.dbm` itself: dbm.dumb (a Python built without
# gdbm/ndbm) writes .dir/.dat files instead, so the original fails there as well.
needs_dbm = pytest.mark.skipif(not _has_real_dbm(), reason="this Python has neither dbm.gnu nor dbm.ndbm")


def firstuse_db(entries):
    with dbm.open("passwords.dbm", "c", 0o600) as db:
        for user, password in entries.items():
            db[user] = password


@needs_dbm
async def test_import_from_firstuse_dont_delete_db_after(tmpcwd, app):
    firstuse_db({"user1": "password"})
    native(app).add_data_from_firstuse()
    files = os.listdir()
    assert UserInfo.find(app.db, "user1")
    assert ("passwords.dbm" in files) or ("passwords.dbm.db" in files)


@needs_dbm
async def test_import_from_firstuse_delete_db_after(tmpcwd, app):
    firstuse_db({"user1": "password"})
    native(app, delete_firstuse_db_after_import=True).add_data_from_firstuse()
    files = os.listdir()
    assert UserInfo.find(app.db, "user1")
    assert ("passwords.dbm" not in files) and ("passwords.dbm.db" not in files)


@pytest.mark.parametrize("user,pwd", [("user1", "password"), ("user 1", "somethingelsereallysecure")])
async def test_import_from_firstuse_invalid_password(user, pwd, tmpcwd, app):
    firstuse_db({user: pwd})
    with pytest.raises(ValueError):
        native(app, check_common_password=True).add_data_from_firstuse()


async def test_secret_key(tmpcwd, app):
    auth = native(app, ask_email_on_signup=False, allow_self_approval_for=".*@example.com$")
    auth.secret_key = "short"
    with pytest.raises(ValueError):
        auth.setup_self_approval()
    auth.secret_key = "very long and kind-of random asdgaisgfjbafksdgasg"
    auth.setup_self_approval()
    assert auth.ask_email_on_signup is True


async def test_approval_url(tmpcwd, app):
    auth = native(app, allow_self_approval_for=".*@example.com$")
    auth.secret_key = "very long and kind-of random asdgaisgfjbafksdgasg"
    auth.setup_self_approval()

    with pytest.raises(ValueError):  # a forged slug
        EmailAuthorizationHandler.validate_slug("foo", auth.secret_key)

    def slug(expiration):
        return auth.generate_approval_url("somebody", when=expiration).split("/")[-1]

    with pytest.raises(ValueError):  # an expired URL
        EmailAuthorizationHandler.validate_slug(
            slug(datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)), auth.secret_key
        )

    expiration = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    out = EmailAuthorizationHandler.validate_slug(slug(expiration), auth.secret_key)
    assert out["username"] == "somebody"
    assert out["expire"] == expiration
