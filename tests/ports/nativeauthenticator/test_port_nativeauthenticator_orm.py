"""nativeauthenticator's ORM tests (tests/test_orm.py), ported: the same `app` as its suite."""

from __future__ import annotations

import pytest
from nativeauthenticator.orm import UserInfo
from sqlalchemy.exc import StatementError


@pytest.fixture
def app(configured_mockhub_instance):
    hub = configured_mockhub_instance()
    hub.init_db()
    return hub


@pytest.mark.parametrize("email", ["john", "john@john"])
def test_validate_method_wrong_email(email, app):
    with pytest.raises(AssertionError):
        UserInfo(username="john", password=b"pwd", email=email)


def test_validate_method_correct_email(app):
    app.db.add(UserInfo(username="john", password=b"pwd", email="john@john.com"))
    app.db.commit()
    assert UserInfo.find(app.db, "john")


def test_all_users(app):
    assert len(UserInfo.all_users(app.db)) == 0
    app.db.add(
        UserInfo(username="daenerystargaryen", password=b"yesispeakvalyrian", email="khaleesi@valyria.com")
    )
    app.db.commit()
    assert len(UserInfo.all_users(app.db)) == 1


def test_wrong_pwd_type(app):
    with pytest.raises(StatementError):
        app.db.add(UserInfo(username="john", password="pwd", email="john@john.com"))
        UserInfo.find(app.db, "john")
