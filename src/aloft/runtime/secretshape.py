"""One secret detector: does a value have the shape of a credential, does a name hold one.

Shared by the tooling (the ConfigMap guard of `aloft k8s render`, doctor's CFG001) and by the
runtime (log redaction), so all three agree on what a secret looks like. Standard library only;
the patterns are compiled on first use, so importing this module costs nothing.

Shapes come from the issuers' documented formats (Stripe, GitHub, Slack, AWS, Google, GitLab, npm,
PyPI, SendGrid, ...) and from connection-string grammars (URL userinfo, ADO.NET/ODBC `Password=`,
libpq `password=`, Azure `AccountKey=`). A value that only *might* be random (a hash, a UUID, a
digest) is never reported on its own: only a known shape, or a literal under a credential's name.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from re import Pattern

# (what it is, pattern); the `s` group, where there is one, is the secret part of the match.
_FORMATS: tuple[tuple[str, str], ...] = (
    # A header alone is code that handles keys (`startswith("-----BEGIN PRIVATE KEY-----")`); a
    # key goes on to the next line (a newline, or `\n` as a JSON line or source spells it).
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?=\s|\\[nr])"),
    ("a Stripe key", r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}"),
    ("a Stripe webhook secret", r"\bwhsec_[0-9A-Za-z+/=]{20,}"),
    ("a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("a Slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"),
    ("a Slack webhook", r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
    ("an AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("a Google OAuth client secret", r"\bGOCSPX-[A-Za-z0-9_-]{20,}"),
    ("an Anthropic or OpenAI key", r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"),
    ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("a PyPI token", r"\bpypi-AgE[A-Za-z0-9_-]{40,}"),
    ("a SendGrid key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{20,}"),
    ("a Twilio key", r"\bSK[0-9a-f]{32}\b"),
    ("a Shopify token", r"\bshp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}\b"),
    ("a HashiCorp Vault token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}"),
    ("a DigitalOcean token", r"\bdo[opr]_v1_[0-9a-f]{64}\b"),
    ("a Square token", r"\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}"),
    ("a Telegram bot token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b"),
    (
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    # scheme://user:password@host and scheme://:password@host (an empty user name, as Redis has).
    ("a URL with a password", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:(?P<s>[^/\s@]+)@"),
    # ADO.NET / ODBC / JDBC / libpq / query-string credentials: Password=...; pwd=... token=...
    (
        "a connection string with a password",
        r"(?i)(?:^|[;?&\s,])(?:password|passwd|pwd|pass|accountkey|sharedaccesskey|"
        r"client_secret|access_token|api_?key|token|secret)\s*=\s*"
        r"(?P<s>\"[^\"]+\"|'[^']+'|\{[^}]+\}|[^;&\s,]+)",
    ),
)

# Values that stand for a secret without being one: templates, references, placeholders.
_NOT_A_VALUE = (
    r"(?i)\$\{|\$\(|\{\{|%\(|^<.*>$|\*{3,}|^x{3,}$|changeme|change-me|placeholder|example"
    r"|dummy|your[-_ ]?(?:password|secret|token|key)"
    r"|^(?:%[sd]|\?|:[a-z_]+|@[a-z_]+)$"  # SQL parameters: password = %s, ?, :password
    r"|^%[a-z]\b|^\{\w*(?:[!:][^}]*)?\}"  # a format's field: token=%r, token={}, {token}
    r"|\.\.\.|^(?:pass|password|passwd|secret)$"  # user:pass@host, an elision
)
_REFERENCE = r"(?i)^(?:/|\./|~/|file:|env:|vault:|arn:aws:|secretsmanager:|ssm:|sm://)"
_NO_SECRET_WORDS = frozenset({"", "true", "false", "yes", "no", "on", "off", "none", "null", "nil"})

# Name tokens that hold a credential, and words that merely end like one.
_SECRET_TOKENS = frozenset(
    {
        "PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS",
        "CREDENTIAL", "CREDENTIALS", "CREDS", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY",
        "AUTHKEY", "SIGNINGKEY", "MASTERKEY", "ACCOUNTKEY",
    }
)  # fmt: skip
_SECRET_SUFFIXES = ("PASS", "PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "APIKEY")
_LOOKALIKES = frozenset(
    {"BYPASS", "COMPASS", "SURPASS", "TRESPASS", "OVERPASS", "UNDERPASS", "OLDPWD"}
)
# "<X> KEY" pairs that name a credential (API_KEY, PRIVATE_KEY, ...); KEY alone does not.
_KEY_QUALIFIERS = frozenset(
    {
        "API", "PRIVATE", "ACCESS", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "ACCOUNT",
        "AUTH", "HMAC", "WEBHOOK", "SESSION", "CLIENT", "LICENSE", "SSH", "JWT",
    }
)  # fmt: skip
# What may follow the credential word and still name the credential itself (SECRET_KEY,
# AWS_SECRET_ACCESS_KEY, TOKEN_VALUE); anything else names something about it (TOKEN_URL).
_TRAILING = frozenset(
    {
        "KEY",
        "KEYS",
        "VALUE",
        "STRING",
        "STR",
        "B64",
        "BASE64",
        "HEX",
        "RAW",
        "TEXT",
        "JSON",
        "ACCESS",
    }
)
_CAMEL = r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
_SPLIT = r"[^A-Za-z0-9]+"


class _Compiled:
    """The patterns, compiled on first use (importing `re` is most of the cost)."""

    def __init__(self) -> None:
        import re

        self.formats = tuple((label, re.compile(pattern)) for label, pattern in _FORMATS)
        self.not_a_value = re.compile(_NOT_A_VALUE)
        self.reference = re.compile(_REFERENCE)
        self.camel = re.compile(_CAMEL)
        self.split = re.compile(_SPLIT)


_compiled: _Compiled | None = None


def _patterns() -> _Compiled:
    global _compiled
    if _compiled is None:
        _compiled = _Compiled()
    return _compiled


def _formats() -> tuple[tuple[str, Pattern[str]], ...]:
    return _patterns().formats


def _stands_in(text: str) -> bool:
    """A template, a reference or a placeholder rather than a secret value."""
    patterns = _patterns()
    text = text.strip().strip("\"'")
    return (
        text.lower() in _NO_SECRET_WORDS
        or bool(patterns.reference.match(text))
        or bool(patterns.not_a_value.search(text))
    )


def name_tokens(name: str) -> list[str]:
    """`dbPassword` -> [DB, PASSWORD]; `AWS_SECRET_ACCESS_KEY` -> [AWS, SECRET, ACCESS, KEY]."""
    p = _patterns()
    return [t.upper() for part in p.split.split(name) for t in p.camel.split(part) if t]


def secret_name(name: str) -> bool:
    """Whether a setting called `name` holds a credential (DB_PASS, PGPASS, apiKey, SECRET_KEY),
    rather than something about one (TOKEN_URL, PASSWORD_HASHERS, PGPASSFILE, API_KEY_HEADER)."""
    tokens = name_tokens(name)
    last = -1
    for index, token in enumerate(tokens):
        if token in _LOOKALIKES:
            continue
        if (
            token in _SECRET_TOKENS
            or token.endswith(_SECRET_SUFFIXES)
            or (token == "KEY" and index > 0 and tokens[index - 1] in _KEY_QUALIFIERS)
        ):
            last = index
    if last < 0 or tokens == ["PWD"]:
        return False
    return all(token in _TRAILING for token in tokens[last + 1 :])


def secret_in_value(value: str) -> str | None:
    """What credential `value` carries by its shape alone (e.g. "a Stripe key"), or None."""
    for label, pattern in _formats():
        for match in pattern.finditer(value):
            part = match.group("s") if "s" in pattern.groupindex else match.group(0)
            if not _stands_in(part) and "EXAMPLE" not in match.group(0):
                return label
    return None


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where credentials of a known shape sit in `text`: the password of a URL or connection
    string, or the whole token; for redaction."""
    spans = []
    for _, pattern in _formats():
        for match in pattern.finditer(text):
            group = "s" if "s" in pattern.groupindex else 0
            if not _stands_in(match.group(group)):
                spans.append(match.span(group))
    return sorted(spans)


def secret_setting(name: str, value: str) -> str | None:
    """Why `name = value` puts a credential in plain configuration, or None: the credential shape
    of the value ("a URL with a password"), or "a literal value under a credential's name"."""
    shape = secret_in_value(value)
    if shape:
        return shape
    if secret_name(name) and not _stands_in(value):
        return "a literal value under a credential's name"
    return None
