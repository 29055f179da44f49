"""Passwords, access rights, the sign-in throttle and the hash-password command."""
from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys

import pytest

from cchc_metrics import auth, cli
from cchc_metrics.auth import (
    AccessConfig,
    LoginThrottle,
    can_edit,
    can_view,
    hash_password,
    load_access_config,
    sign_in,
    verify_password,
)
from cchc_metrics.errors import CchcError

FAST = 1_000  # iterations for test hashes; the format carries its own count
EDITOR_HASH = hash_password("biên-tập-2026", iterations=FAST)
VIEWER_HASH = hash_password("chỉ-xem", iterations=FAST)


def test_hash_has_documented_layout_and_known_digest():
    salt = b"0123456789abcdef"
    stored = hash_password("mật khẩu", salt=salt, iterations=FAST)
    expected = hashlib.pbkdf2_hmac("sha256", "mật khẩu".encode(), salt, FAST)
    assert stored == (f"pbkdf2_sha256$1000${base64.b64encode(salt).decode()}"
                      f"${base64.b64encode(expected).decode()}")


def test_round_trip_and_wrong_password():
    assert verify_password("biên-tập-2026", EDITOR_HASH)
    assert not verify_password("biên-tập-2025", EDITOR_HASH)
    assert not verify_password("", EDITOR_HASH)


def test_default_iterations_round_trip():
    stored = hash_password("x")
    assert stored.split("$")[1] == "600000"
    assert verify_password("x", stored)


def test_salts_differ():
    first, second = hash_password("same", iterations=FAST), hash_password("same", iterations=FAST)
    assert first.split("$")[2] != second.split("$")[2]
    assert first != second


@pytest.mark.parametrize("stored", [
    "", "plain-password", "pbkdf2_sha256$1000$abc", "md5$1000$c2FsdA==$aGFzaA==",
    "pbkdf2_sha256$x$c2FsdA==$aGFzaA==", "pbkdf2_sha256$1000$not*base64$aGFzaA==",
    "pbkdf2_sha256$0$c2FsdA==$aGFzaA==", "pbkdf2_sha256$99999999999$c2FsdA==$aGFzaA==",
    "pbkdf2_sha256$1000$$aGFzaA==", None,
])
def test_malformed_hash_never_matches(stored):
    assert verify_password("plain-password", stored) is False


def test_load_config_from_environment_then_secrets():
    env = {"CCHC_EDITOR_PASSWORD_HASH": EDITOR_HASH}
    secrets = {"auth": {"editor_password_hash": "ignored because env wins",
                        "viewer_password_hash": VIEWER_HASH}}
    config = load_access_config(env, secrets)
    assert config == AccessConfig(editor_hash=EDITOR_HASH, viewer_hash=VIEWER_HASH)


def test_load_config_blank_and_missing_mean_open():
    assert load_access_config({"CCHC_EDITOR_PASSWORD_HASH": "  "}, None).is_open
    assert load_access_config({}, {"other": 1}).is_open


def test_load_config_tolerates_missing_secrets_file():
    class NoSecretsFile(dict):
        def get(self, key, default=None):
            raise FileNotFoundError("no secrets.toml")

    assert load_access_config({}, NoSecretsFile()).is_open


def test_load_config_refuses_plain_password():
    with pytest.raises(CchcError, match="hash-password"):
        load_access_config({"CCHC_VIEWER_PASSWORD_HASH": "matkhau123"}, None)


OPEN = AccessConfig()
EDITOR_ONLY = AccessConfig(editor_hash=EDITOR_HASH)
EDITOR_AND_VIEWER = AccessConfig(editor_hash=EDITOR_HASH, viewer_hash=VIEWER_HASH)
VIEWER_ONLY = AccessConfig(viewer_hash=VIEWER_HASH)


@pytest.mark.parametrize("config, role, view, edit", [
    (OPEN, None, True, True),
    (EDITOR_ONLY, None, True, False),
    (EDITOR_ONLY, "editor", True, True),
    (EDITOR_AND_VIEWER, None, False, False),
    (EDITOR_AND_VIEWER, "viewer", True, False),
    (EDITOR_AND_VIEWER, "editor", True, True),
    (VIEWER_ONLY, None, False, False),
    (VIEWER_ONLY, "viewer", True, True),
])
def test_rights_matrix(config, role, view, edit):
    assert can_view(config, role) is view
    assert can_edit(config, role) is edit


def test_config_flags():
    assert OPEN.is_open and not OPEN.viewer_required
    assert not EDITOR_ONLY.is_open and not EDITOR_ONLY.viewer_required
    assert EDITOR_AND_VIEWER.viewer_required


def test_throttle_locks_after_five_failures_and_unlocks_after_lockout():
    throttle = LoginThrottle(max_failures=5, window_seconds=300, lockout_seconds=300)
    for second in range(4):
        throttle.record_failure("10.0.0.1", now=1000 + second)
    assert throttle.allowed("10.0.0.1", now=1004)
    throttle.record_failure("10.0.0.1", now=1004)
    assert not throttle.allowed("10.0.0.1", now=1005)
    assert not throttle.allowed("10.0.0.1", now=1303)
    assert throttle.allowed("10.0.0.2", now=1005)  # other clients are not affected
    assert throttle.allowed("10.0.0.1", now=1304)


def test_throttle_forgets_failures_outside_the_window():
    throttle = LoginThrottle(max_failures=5, window_seconds=300, lockout_seconds=300)
    for now in (0, 100, 200, 299):
        throttle.record_failure("k", now)
    throttle.record_failure("k", now=400)  # the failure at 0 fell out of the window
    assert throttle.allowed("k", now=401)


def test_success_clears_failures():
    throttle = LoginThrottle()
    for now in range(4):
        throttle.record_failure("k", now)
    throttle.record_success("k")
    throttle.record_failure("k", now=5)
    assert throttle.allowed("k", now=6)


def test_sign_in_grants_editor_then_viewer_roles():
    throttle = LoginThrottle()
    editor = sign_in(EDITOR_AND_VIEWER, throttle, "biên-tập-2026", "ip", now=0)
    viewer = sign_in(EDITOR_AND_VIEWER, throttle, "chỉ-xem", "ip", now=1)
    assert (editor.role, editor.message_vi) == ("editor", "Đã đăng nhập với quyền chỉnh sửa.")
    assert (viewer.role, viewer.message_vi) == ("viewer", "Đã đăng nhập với quyền xem.")


def test_sign_in_wrong_password_then_lockout_message():
    throttle = LoginThrottle(max_failures=5, window_seconds=300, lockout_seconds=300)
    first = sign_in(EDITOR_ONLY, throttle, "sai", "ip", now=0)
    assert first == type(first)(None, "Mật khẩu không đúng. Còn 4 lần thử.")
    for now in (1, 2, 3):
        sign_in(EDITOR_ONLY, throttle, "sai", "ip", now=now)
    fifth = sign_in(EDITOR_ONLY, throttle, "sai", "ip", now=4)
    assert fifth.role is None
    assert fifth.message_vi == "Đăng nhập sai quá nhiều lần. Vui lòng chờ 5 phút rồi thử lại."
    # Even the right password is refused while locked; 61 s left rounds up to 2 minutes.
    locked = sign_in(EDITOR_ONLY, throttle, "biên-tập-2026", "ip", now=243)
    assert locked.role is None
    assert "chờ 2 phút" in locked.message_vi
    assert sign_in(EDITOR_ONLY, throttle, "biên-tập-2026", "ip", now=304).role == "editor"


def test_sign_in_empty_password_is_not_counted():
    throttle = LoginThrottle(max_failures=1)
    assert sign_in(EDITOR_ONLY, throttle, "", "ip", now=0).message_vi == "Vui lòng nhập mật khẩu."
    assert throttle.allowed("ip", now=0)


def test_sign_in_on_open_deployment_grants_nothing_extra():
    result = sign_in(OPEN, LoginThrottle(), "anything", "ip", now=0)
    assert result.role is None
    assert can_edit(OPEN, result.role)


def test_cli_hash_password_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("mật khẩu mới\r\n"))
    assert cli.main(["hash-password"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("pbkdf2_sha256$600000$")
    assert verify_password("mật khẩu mới", printed)


def test_cli_hash_password_refuses_empty(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert cli.main(["hash-password"]) == 1
    assert "Mật khẩu trống" in capsys.readouterr().err


def test_cli_hash_password_as_a_module():
    done = subprocess.run([sys.executable, "-m", "cchc_metrics", "hash-password"], input="s3cret\n",
                          capture_output=True, text=True, check=True, timeout=60)
    assert verify_password("s3cret", done.stdout.strip())


# ---- whose address counts, and staying signed in ---------------------------------------------------

def test_trusted_proxies_default_to_none_and_add_the_dual_stack_form():
    assert auth.trusted_proxies({}) == []
    assert auth.trusted_proxies({auth.TRUSTED_PROXIES_ENV: " 10.0.0.5 , 192.168.1.0/24,::1"}) == [
        "10.0.0.5", "::ffff:a00:5", "192.168.1.0/24", "::ffff:c0a8:100/120", "::1"]


@pytest.mark.parametrize("value", ["*", "proxy.local", "10.0.0.300"])
def test_trusted_proxies_refuse_anything_but_addresses(value):
    with pytest.raises(CchcError, match="CCHC_TRUSTED_PROXIES"):
        auth.trusted_proxies({auth.TRUSTED_PROXIES_ENV: value})


def test_client_key_is_one_key_per_address():
    assert [auth.client_key(a) for a in (None, "127.0.0.1", "::1", "::ffff:127.0.0.1")] == ["local"] * 4
    assert auth.client_key("::ffff:10.0.0.7") == auth.client_key("10.0.0.7") == "10.0.0.7"


EDITOR_CONFIG = auth.AccessConfig(editor_hash=auth.hash_password("bien-tap", iterations=1000),
                                  viewer_hash=auth.hash_password("xem", iterations=1000))


def test_session_token_grants_its_role_until_it_expires():
    tokens = auth.SessionTokens(b"k" * 32, lifetime_seconds=3600)
    token = tokens.issue(EDITOR_CONFIG, "editor", now=1_000_000)
    assert tokens.verify(EDITOR_CONFIG, token, now=1_000_000 + 3599) == "editor"
    assert tokens.verify(EDITOR_CONFIG, token, now=1_000_000 + 3600) is None  # expired at 1 h
    viewer = tokens.issue(EDITOR_CONFIG, "viewer", now=1_000_000)
    assert tokens.verify(EDITOR_CONFIG, viewer, now=1_000_001) == "viewer"


def test_session_token_cannot_be_forged_or_outlive_its_password_or_a_sign_out():
    tokens = auth.SessionTokens(b"k" * 32)
    token = tokens.issue(EDITOR_CONFIG, "viewer", now=0)
    version, role, expires, nonce, signature = token.split(".")
    assert tokens.verify(EDITOR_CONFIG, ".".join([version, "editor", expires, nonce, signature]), now=1) is None
    assert tokens.verify(EDITOR_CONFIG, ".".join([version, role, "9" * 12, nonce, signature]), now=1) is None
    assert auth.SessionTokens(b"x" * 32).verify(EDITOR_CONFIG, token, now=1) is None  # another secret
    changed = auth.AccessConfig(editor_hash=EDITOR_CONFIG.editor_hash,
                                viewer_hash=auth.hash_password("xem-moi", iterations=1000))
    assert tokens.verify(changed, token, now=1) is None  # the viewer password changed
    assert tokens.verify(EDITOR_CONFIG, "rác", now=1) is None
    tokens.revoke(token)
    assert tokens.verify(EDITOR_CONFIG, token, now=1) is None


def test_session_secret_from_environment_must_be_long_enough():
    assert auth.session_secret({}) is None
    assert auth.session_secret({auth.SESSION_SECRET_ENV: "a" * 16}) == b"a" * 16
    with pytest.raises(CchcError, match="quá ngắn"):
        auth.session_secret({auth.SESSION_SECRET_ENV: "ngan"})
