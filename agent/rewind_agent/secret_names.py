"""Which names hold secrets, and secrets in source text.

A name is cut into words (snake_case, camelCase, digits apart, case aside): ``api_token`` is
api + token, ``accessToken`` access + token, ``AUTH_TOKEN`` auth + token, ``tokenize`` one word.
A pattern (itself cut into words: ``api_key`` is api + key) matches a name whose words hold the
pattern's words in a row. A variable or attribute named in CapWords (``Token``, ``AccessToken``)
names a class by convention: not a secret; a dict key in CapWords (``"Authorization"``) can be. The TypeScript side (src/store/secrets.ts) applies the same rule;
test/golden/secret-names.json holds the cases both are tested with.
"""
import re

DEFAULT_SECRET_NAMES = ("password", "passwd", "secret", "token", "api_key", "apikey",
                        "authorization", "credential", "credentials", "private_key")

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_CAPWORDS = re.compile(r"^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")


def words(name):
    """The lowercase words of a name."""
    return [w.lower() for w in _WORD.findall(name)]


def compile_patterns(patterns):
    """Patterns as tuples of words, for is_secret."""
    out = []
    for p in patterns:
        w = tuple(words(p))
        if w and w not in out:
            out.append(w)
    return out


def is_secret(name, compiled, identifier=True):
    """Does ``name`` (a variable or attribute; with ``identifier`` false, a dict key) hold one
    of the compiled patterns as words in a row?"""
    if not compiled or (identifier and _CAPWORDS.match(name)):
        return False
    ws = words(name)
    for p in compiled:
        n = len(p)
        for i in range(len(ws) - n + 1):
            if tuple(ws[i:i + n]) == p:
                return True
    return False


# A string literal given to a name (name = "...", name: str = '...', f(name="...")) or under a
# dict key ("name": "..."), on one line.
_ASSIGNED = re.compile(r"""(?P<name>\b[A-Za-z_]\w*)\s*(?::[^=\n]*?)?=(?!=)\s*(?P<prefix>[rRbBuU]{0,2})(?P<q>'''|\"\"\"|'|")(?P<text>.*?)(?P=q)""")
_KEYED = re.compile(r"""(?P<kq>['"])(?P<name>[A-Za-z_][\w-]*)(?P=kq)\s*:\s*(?P<prefix>[rRbBuU]{0,2})(?P<q>'''|\"\"\"|'|")(?P<text>.*?)(?P=q)""")
MARK = "<redacted>"


def redact_source(text, secret, secret_key):
    """The source with the string literals given to secret names replaced (same lines, same
    quotes): a recording carries its sources, and ``api_token = "sk-live-..."`` must not be in
    them. ``secret(name)`` and ``secret_key(key)`` say which names and dict keys are secret."""
    def replacer(is_secret_name):
        def replace(m):
            if not m.group("text") or not is_secret_name(m.group("name")):
                return m.group(0)
            start, end = m.span("text")
            whole = m.group(0)
            return whole[:start - m.start()] + MARK + whole[end - m.start():]
        return replace
    return _KEYED.sub(replacer(secret_key), _ASSIGNED.sub(replacer(secret), text))
