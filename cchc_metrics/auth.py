"""Passwords, roles and the sign-in rate limit for the dashboard (no streamlit here).

The deployment stores salted PBKDF2-SHA256 hashes, never passwords: an editor hash lets uploads, undo
and target edits be locked; an optional viewer hash locks the rest. With neither set the app runs open
(one person on their own computer). Only a viewer hash set means that one password opens everything.
Passwords are compared in constant time and failed sign-ins are throttled per client.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import math
import secrets as token_source
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .errors import CchcError

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000  # OWASP 2023 advice for PBKDF2-SHA256; about 0.2 s here.
# A stored hash with more iterations than this is refused, so a bad value cannot stall sign-in.
MAX_ITERATIONS = 10_000_000
SALT_BYTES = 16

EDITOR_ENV = "CCHC_EDITOR_PASSWORD_HASH"
VIEWER_ENV = "CCHC_VIEWER_PASSWORD_HASH"
TRUSTED_PROXIES_ENV = "CCHC_TRUSTED_PROXIES"
SESSION_SECRET_ENV = "CCHC_SESSION_SECRET"
SECRETS_SECTION = "auth"
EDITOR_SECRET = "editor_password_hash"
VIEWER_SECRET = "viewer_password_hash"
SESSION_SECRET = "session_secret"

Role = Literal["editor", "viewer"]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """Return "pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>" for storing in the deployment."""
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be between 1 and {MAX_ITERATIONS}")
    salt = token_source.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def _parse_hash(stored: str) -> tuple[int, bytes, bytes] | None:
    """Split a stored hash into (iterations, salt, digest), or None when it is not one of ours."""
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 4 or parts[0] != ALGORITHM or not parts[1].isdigit():
        return None
    iterations = int(parts[1])
    try:
        salt = base64.b64decode(parts[2], validate=True)
        digest = base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        return None
    if not 1 <= iterations <= MAX_ITERATIONS or not salt or not digest:
        return None
    return iterations, salt, digest


def is_password_hash(value: str) -> bool:
    """True when `value` is a well-formed hash made by `hash_password`."""
    return _parse_hash(value) is not None


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a stored hash in constant time; a malformed hash never matches."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations, dklen=len(expected))
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class AccessConfig:
    """The password hashes a deployment set; None means that password is not used."""

    editor_hash: str | None = None
    viewer_hash: str | None = None

    @property
    def is_open(self) -> bool:
        """No password at all: everyone may view and edit."""
        return self.editor_hash is None and self.viewer_hash is None

    @property
    def viewer_required(self) -> bool:
        """Viewing itself needs signing in."""
        return self.viewer_hash is not None


def _secret_value(secrets: Mapping | None, key: str) -> str | None:
    if secrets is None:
        return None
    try:
        section = secrets.get(SECRETS_SECTION)
    except FileNotFoundError:  # st.secrets raises a subclass of it when there is no secrets.toml
        return None
    if not isinstance(section, Mapping):
        return None
    return section.get(key)


def _configured_hash(environ: Mapping, secrets: Mapping | None, env_name: str, secret_key: str) -> str | None:
    """The environment wins over secrets; blank means unset; anything else must be a real hash."""
    value = environ.get(env_name) or _secret_value(secrets, secret_key)
    value = str(value).strip() if value is not None else ""
    if not value:
        return None
    if not is_password_hash(value):
        raise CchcError(
            f"Cấu hình mật khẩu «{env_name}» (hoặc [auth] {secret_key}) không phải mã băm hợp lệ. "
            "Hãy tạo mã băm bằng lệnh: python -m cchc_metrics hash-password, rồi dán kết quả vào cấu hình."
        )
    return value


def load_access_config(environ: Mapping, secrets: Mapping | None = None) -> AccessConfig:
    """Read the hashes from the environment or Streamlit secrets ([auth] section).

    Fails closed: a value that is set but is not a hash (a plain password pasted by mistake) raises a
    CchcError instead of silently opening or locking the app.
    """
    return AccessConfig(
        editor_hash=_configured_hash(environ, secrets, EDITOR_ENV, EDITOR_SECRET),
        viewer_hash=_configured_hash(environ, secrets, VIEWER_ENV, VIEWER_SECRET),
    )


def can_view(config: AccessConfig, role: Role | None) -> bool:
    """Viewing is open unless a viewer password is set; then any signed-in role may view."""
    return not config.viewer_required or role in ("editor", "viewer")


def can_edit(config: AccessConfig, role: Role | None) -> bool:
    """Editing needs the editor role when an editor password is set, otherwise the right to view."""
    if config.editor_hash is not None:
        return role == "editor"
    return can_view(config, role)


@dataclass
class _Attempts:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginThrottle:
    """Per-client limit on failed sign-ins: `max_failures` within `window_seconds` locks the client out.

    `now` is seconds on any monotonic clock (`time.monotonic()` in the app). One instance is shared by
    all sessions of a server process, hence the lock.
    """

    def __init__(self, max_failures: int = 5, window_seconds: float = 300, lockout_seconds: float = 300):
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.lockout_seconds = lockout_seconds
        self._attempts: dict[str, _Attempts] = {}
        self._lock = threading.Lock()

    def seconds_locked(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        with self._lock:
            attempts = self._attempts.get(key)
            return max(0.0, attempts.locked_until - now) if attempts else 0.0

    def allowed(self, key: str, now: float) -> bool:
        return self.seconds_locked(key, now) == 0.0

    def failures_left(self, key: str, now: float) -> int:
        """Failed attempts `key` may still make within the window before being locked out."""
        with self._lock:
            attempts = self._attempts.get(key)
            recent = [t for t in attempts.failures if now - t < self.window_seconds] if attempts else []
            return self.max_failures - len(recent)

    def record_failure(self, key: str, now: float) -> None:
        with self._lock:
            attempts = self._attempts.setdefault(key, _Attempts())
            attempts.failures = [t for t in attempts.failures if now - t < self.window_seconds] + [now]
            if len(attempts.failures) >= self.max_failures:
                attempts.locked_until = now + self.lockout_seconds
                attempts.failures = []

    def record_success(self, key: str) -> None:
        with self._lock:
            self._attempts.pop(key, None)


@dataclass(frozen=True)
class SignInResult:
    """The role granted (None when refused) and a Vietnamese message to show as-is."""

    role: Role | None
    message_vi: str


def _wait_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Đăng nhập sai quá nhiều lần. Vui lòng chờ {minutes} phút rồi thử lại."


def sign_in(config: AccessConfig, throttle: LoginThrottle, password: str, client_key: str, now: float) -> SignInResult:
    """Try the editor password, then the viewer password; count failures against `client_key`."""
    if config.is_open:
        return SignInResult(None, "Ứng dụng không đặt mật khẩu: mọi người đều được xem và chỉnh sửa.")
    locked = throttle.seconds_locked(client_key, now)
    if locked:
        return SignInResult(None, _wait_message(locked))
    if not password:
        return SignInResult(None, "Vui lòng nhập mật khẩu.")
    if config.editor_hash is not None and verify_password(password, config.editor_hash):
        throttle.record_success(client_key)
        return SignInResult("editor", "Đã đăng nhập với quyền chỉnh sửa.")
    if config.viewer_hash is not None and verify_password(password, config.viewer_hash):
        throttle.record_success(client_key)
        return SignInResult("viewer", "Đã đăng nhập với quyền xem.")
    throttle.record_failure(client_key, now)
    locked = throttle.seconds_locked(client_key, now)
    if locked:
        return SignInResult(None, _wait_message(locked))
    left = throttle.failures_left(client_key, now)
    return SignInResult(None, f"Mật khẩu không đúng. Còn {left} lần thử.")


# ---- Whose address counts: X-Forwarded-For only from a configured proxy ---------------------------

def trusted_proxies(environ: Mapping) -> list[str]:
    """The reverse proxies (IP addresses or networks, comma-separated in CCHC_TRUSTED_PROXIES) whose
    X-Forwarded-For header names the real client. Unset means none: the address sign-in failures
    are counted on is always the connection's own. "*" (trust everyone) is refused, since then any
    client could pick the address it is counted on."""
    raw = str(environ.get(TRUSTED_PROXIES_ENV) or "")
    proxies = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
            proxies.append(str(network) if "/" in item else str(network.network_address))
            if network.version == 4:  # a dual-stack server sees an IPv4 peer as ::ffff:a.b.c.d
                mapped = ipaddress.ip_network(f"::ffff:{network.network_address}/{96 + network.prefixlen}")
                proxies.append(str(mapped) if "/" in item else str(mapped.network_address))
        except ValueError:
            raise CchcError(f"«{TRUSTED_PROXIES_ENV}» chứa «{item}», không phải địa chỉ IP hay dải mạng. "
                            "Hãy ghi địa chỉ IP của reverse proxy, ví dụ 127.0.0.1 hoặc 10.0.0.0/24, "
                            "cách nhau bởi dấu phẩy; để trống nếu không dùng proxy.") from None
    return proxies


def client_key(ip_address: str | None) -> str:
    """What failed sign-ins are counted on: the client's address as the server established it, one
    key per address however it is written (::ffff:10.0.0.7 is 10.0.0.7); this machine is "local"."""
    try:
        address = ipaddress.ip_address(ip_address or "")
    except ValueError:
        return ip_address or "local"
    address = getattr(address, "ipv4_mapped", None) or address
    return "local" if address.is_loopback else str(address)


# ---- Staying signed in across a page refresh: a signed, expiring token ----------------------------

SESSION_COOKIE = "cchc_session"
SESSION_HOURS = 8  # one working day; after that the password is asked again
_TOKEN_VERSION = "v1"


class SessionTokens:
    """Tokens "v1.<role>.<expires>.<nonce>.<signature>" kept in a cookie so a refresh keeps the role.

    The signature is an HMAC-SHA256 with a key derived from the server secret and the role's current
    password hash: changing a password, or the secret, voids every token issued before. Signing out
    revokes the token in this process. `now` is Unix time in seconds.
    """

    def __init__(self, secret: bytes, lifetime_seconds: float = SESSION_HOURS * 3600):
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    def _signature(self, config: AccessConfig, role: str, payload: str) -> str | None:
        password_hash = config.editor_hash if role == "editor" else config.viewer_hash
        if role not in ("editor", "viewer") or password_hash is None:
            return None
        key = hmac.new(self._secret, f"{role}:{password_hash}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest()).decode().rstrip("=")

    def issue(self, config: AccessConfig, role: Role, now: float) -> str:
        payload = f"{_TOKEN_VERSION}.{role}.{int(now + self.lifetime_seconds)}.{token_source.token_urlsafe(12)}"
        signature = self._signature(config, role, payload)
        if signature is None:
            raise ValueError(f"no password is set for role {role!r}")
        return f"{payload}.{signature}"

    def verify(self, config: AccessConfig, token: str | None, now: float) -> Role | None:
        """The role a token grants now, or None (malformed, forged, expired, revoked, or its
        password changed)."""
        parts = token.split(".") if isinstance(token, str) and len(token) < 512 else []
        if len(parts) != 5 or parts[0] != _TOKEN_VERSION or not parts[2].isdigit():
            return None
        payload, signature = ".".join(parts[:4]), parts[4]
        expected = self._signature(config, parts[1], payload)
        if expected is None or not hmac.compare_digest(expected, signature):
            return None
        with self._lock:
            if int(parts[2]) <= now or parts[3] in self._revoked:
                return None
        return parts[1]  # type: ignore[return-value]

    def revoke(self, token: str | None) -> None:
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) == 5:
            with self._lock:
                self._revoked.add(parts[3])


def session_secret(environ: Mapping, secrets: Mapping | None = None) -> bytes | None:
    """CCHC_SESSION_SECRET (or [auth] session_secret); None when unset (the app then makes one per
    server process, so a restart signs everybody out)."""
    value = environ.get(SESSION_SECRET_ENV) or _secret_value(secrets, SESSION_SECRET)
    value = str(value).strip() if value is not None else ""
    if not value:
        return None
    if len(value) < 16:
        raise CchcError(f"«{SESSION_SECRET_ENV}» (hoặc [auth] {SESSION_SECRET}) quá ngắn: cần ít nhất 16 ký tự "
                        "ngẫu nhiên, ví dụ tạo bằng: python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
    return value.encode("utf-8")
