"""Which names hold secrets, and secrets in source text.

A name is cut into words (snake_case, camelCase, digits apart, case aside): ``api_token`` is
api + token, ``accessToken`` access + token, ``AUTH_TOKEN`` auth + token, ``tokenize`` one word.
A pattern (itself cut into words: ``api_key`` is api + key) matches a name whose words hold the
pattern's words in a row. A variable or attribute named in CapWords (``Token``, ``AccessToken``)
names a class by convention: not a secret; a dict key in CapWords (``"Authorization"``) can be. The TypeScript side (src/store/secrets.ts) applies the same rule;
test/golden/secret-names.json holds the cases both are tested with.
"""
DEFAULT_SECRET_NAMES = ("password", "passwd", "secret", "token", "api_key", "apikey",
                        "authorization", "credential", "credentials", "private_key")

_RULES = {}


def _rule(name):
    """One of the rules, as a regular expression compiled on first use: importing re is a tenth
    of the agent's start, and most programs name no secret (may_hold)."""
    if not _RULES:
        import re
        _RULES.update(
            word=re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+"),
            capwords=re.compile(r"^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$"),
            # A string literal given to a name (name = "...", name: str = '...', f(name="..."))
            # or under a dict key ("name": "..."), on one line.
            assigned=re.compile(r"""(?P<name>\b[A-Za-z_]\w*)\s*(?::[^=\n]*?)?=(?!=)\s*(?P<prefix>[rRbBuU]{0,2})(?P<q>'''|\"\"\"|'|")(?P<text>.*?)(?P=q)"""),
            keyed=re.compile(r"""(?P<kq>['"])(?P<name>[A-Za-z_][\w-]*)(?P=kq)\s*:\s*(?P<prefix>[rRbBuU]{0,2})(?P<q>'''|\"\"\"|'|")(?P<text>.*?)(?P=q)"""))
    return _RULES[name]


_LOWER_WORDS = frozenset("abcdefghijklmnopqrstuvwxyz_")


def words(name):
    """The lowercase words of a name."""
    if _LOWER_WORDS.issuperset(name):  # snake_case: the rule's words, without loading it
        return [w for w in name.split("_") if w]
    return [w.lower() for w in _rule("word").findall(name)]


def may_hold(text, compiled):
    """False if no name in ``text`` can hold a pattern: a name's words are pieces of it, so
    each word of a pattern it holds is in the text, lowercased."""
    low = text.lower()
    return any(all(w in low for w in p) for p in compiled)


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
    if not compiled or not may_hold(name, compiled) or (identifier and _rule("capwords").match(name)):
        return False
    ws = words(name)
    for p in compiled:
        n = len(p)
        for i in range(len(ws) - n + 1):
            if tuple(ws[i:i + n]) == p:
                return True
    return False


MARK = "<redacted>"


def redact_source(text, secret, secret_key, compiled=None):
    """The source with the string literals given to secret names replaced (same lines, same
    quotes): a recording carries its sources, and ``api_token = "sk-live-..."`` must not be in
    them. ``secret(name)`` and ``secret_key(key)`` say which names and dict keys are secret;
    ``compiled``, if given, the patterns they look for (a text without them is left as it is)."""
    if compiled is not None and not may_hold(text, compiled):
        return text
    def replacer(is_secret_name):
        def replace(m):
            if not m.group("text") or not is_secret_name(m.group("name")):
                return m.group(0)
            start, end = m.span("text")
            whole = m.group(0)
            return whole[:start - m.start()] + MARK + whole[end - m.start():]
        return replace
    return _rule("keyed").sub(replacer(secret_key), _rule("assigned").sub(replacer(secret), text))
