// Which names hold secrets, and secrets in source text: the rule of the agent's
// agent/rewind_agent/secret_names.py, for `rewind redact` (after the fact). Both are tested
// against test/golden/secret-names.json.
//
// A name is cut into words (snake_case, camelCase, digits apart, case aside); a pattern, cut the
// same way, matches a name whose words hold its words in a row. A variable or attribute named in
// CapWords (Token, AccessToken) names a class: not a secret; a dict key can be ("Authorization").

export const DEFAULT_SECRET_NAMES = ['password', 'passwd', 'secret', 'token', 'api_key', 'apikey',
  'authorization', 'credential', 'credentials', 'private_key'];

const WORD = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g;
const CAPWORDS = /^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$/;

export const words = (name: string): string[] => (name.match(WORD) ?? []).map((w) => w.toLowerCase());

export type SecretPatterns = string[][];

export function compilePatterns(patterns: string[]): SecretPatterns {
  const out: SecretPatterns = [];
  for (const p of patterns) {
    const w = words(p);
    if (w.length && !out.some((o) => o.join(' ') === w.join(' '))) out.push(w);
  }
  return out;
}

/** Does `name` (a variable or attribute; a dict key unless `identifier`) hold a pattern's words in a row? */
export function isSecretName(name: string, patterns: SecretPatterns, identifier = true): boolean {
  if (!patterns.length || (identifier && CAPWORDS.test(name))) return false;
  const ws = words(name);
  return patterns.some((p) => {
    for (let i = 0; i + p.length <= ws.length; i++) if (p.every((w, k) => ws[i + k] === w)) return true;
    return false;
  });
}

// A string literal given to a name (name = "...", name: str = '...', f(name="...")) or under a
// dict key ("name": "..."), on one line. The groups: the name, then the literal's text.
const ASSIGNED = /(\b[A-Za-z_]\w*)(\s*(?::[^=\n]*?)?=(?!=)\s*[rRbBuU]{0,2}('''|"""|'|"))(.*?)(\3)/g;
const KEYED = /((['"])([A-Za-z_][\w-]*)\2\s*:\s*[rRbBuU]{0,2}('''|"""|'|"))(.*?)(\4)/g;
export const MARK = '<redacted>';

/**
 * The source with the string literals given to secret names replaced (same lines, same quotes),
 * calling `replaced` for each.
 */
export function redactSource(text: string, patterns: SecretPatterns, replaced: () => void = () => {}): string {
  return text
    .replace(ASSIGNED, (whole, name: string, head: string, _q, lit: string, tail: string) => {
      if (!lit || !isSecretName(name, patterns)) return whole;
      replaced();
      return `${name}${head}${MARK}${tail}`;
    })
    .replace(KEYED, (whole, head: string, _kq, name: string, _q, lit: string, tail: string) => {
      if (!lit || !isSecretName(name, patterns, false)) return whole;
      replaced();
      return `${head}${MARK}${tail}`;
    });
}
