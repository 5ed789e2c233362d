/**
 * Mathematics for report.html, as MathML typeset by temml when the page is
 * rendered (Chromium, Firefox and Safari draw MathML natively: no script, no
 * font or style sheet downloaded, nothing fetched).
 *
 * A claim's `formula` is either a mathjs expression ("G_n <= C * log(n) /
 * sqrt(n)") or TeX ("G_n = O(\log n/\sqrt{n})"). A string with a backslash
 * or a brace is TeX. Otherwise it is split at its relations (=, <=, >=, <,
 * >, ≈, ≤, ≥), each side is parsed by mathjs and printed as TeX (mathjs reads
 * "=" as assignment, so relations are handled here); if mathjs cannot parse
 * a side the whole string is read as TeX. temml turns the TeX into display
 * MathML; a command it does not know is shown by name, in red, not dropped.
 *
 * Prose (a claim's title and statement, its assumptions, its falsifiers'
 * descriptions) is plain text with a small convention for what in it is
 * mathematics, so that the same string reads well as plain text (report.md,
 * junit.xml, docs/CLAIMS.md, the terminal) and typeset in report.html:
 *  - `$…$` is TeX, typeset as is (`\$` is a dollar sign). Plain-text formats
 *    keep the TeX between the dollars (Markdown viewers typeset it too).
 *  - Outside `$…$`, a symbol followed by a subscript `_` or a superscript `^`
 *    is typeset as that symbol with its scripts: `γ_k`, `k^{-1/2}`,
 *    `Σ_{k≤n}`, `λ_min`, `σ²_ML`, `(1 − ηλ_min/n)^{2t}`, `‖Θ‖_F`. A symbol
 *    is an ASCII word (a word of ≥ 2 letters is upright: `loss_t`), one
 *    other letter with its accents and primes (`q̄_c`, `π'_c`), a
 *    parenthesised group of ≤ 40 characters, or one of ‖ ∇ Σ ∑ ∏ ] ⟩; a
 *    script is a `{…}` group (itself following this convention) or a run of
 *    ASCII letters and digits (`0.8` included), or one other letter.
 *    Unicode super- and subscripts (`θ₀`, `‖b‖²`) and everything else stay
 *    text. `a_b_c` (an identifier) and text in backticks stay text.
 * The same reading marks sub- and superscripts in plot labels (plot.ts).
 */
import { parse, type MathNode } from 'mathjs';
import temml from 'temml';

const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa', 'lambda',
  'mu', 'nu', 'xi', 'pi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega',
  'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Pi', 'Sigma', 'Phi', 'Psi', 'Omega',
]);

const RELATIONS: [RegExp, string][] = [
  [/<=|≤/, '\\le'],
  [/>=|≥/, '\\ge'],
  [/!=|≠/, '\\ne'],
  [/≈|~=/, '\\approx'],
  [/==|=/, '='],
  [/</, '<'],
  [/>/, '>'],
];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** TeX for one mathjs symbol name: "gamma_k" → "\gamma_{k}", "sigma2" stays as is. */
function symbolTex(name: string): string {
  const [base, ...subs] = name.split('_');
  const tex = (s: string) => (GREEK.has(s) ? `\\${s}` : s.length > 1 ? `\\mathrm{${s}}` : s);
  return subs.length ? `${tex(base)}_{${subs.map(tex).join(',')}}` : tex(base);
}

function mathjsSideToTex(side: string): string {
  const node: MathNode = parse(side);
  return node.toTex({
    parenthesis: 'auto',
    implicit: 'hide',
    handler: (n: MathNode) => (n.type === 'SymbolNode' ? symbolTex((n as unknown as { name: string }).name) : undefined),
  });
}

/** A mathjs expression (possibly with relations) as TeX, or null when it is not one. */
export function mathjsToTex(expr: string): string | null {
  if (/[\\{}]/.test(expr)) return null;
  const parts: string[] = [];
  let rest = expr;
  for (;;) {
    let best: { index: number; length: number; tex: string } | null = null;
    for (const [re, tex] of RELATIONS) {
      const m = re.exec(rest);
      if (m && (best === null || m.index < best.index || (m.index === best.index && m[0].length > best.length))) {
        best = { index: m.index, length: m[0].length, tex };
      }
    }
    if (!best) break;
    parts.push(rest.slice(0, best.index), best.tex);
    rest = rest.slice(best.index + best.length);
  }
  parts.push(rest);
  try {
    return parts.map((p, i) => (i % 2 === 1 ? ` ${p} ` : mathjsSideToTex(p.trim()))).join('');
  } catch {
    return null;
  }
}

/** The formula as TeX: mathjs expressions are converted, TeX is kept. */
export function formulaToTex(formula: string): { tex: string; from: 'mathjs' | 'tex' } {
  const tex = mathjsToTex(formula);
  return tex === null ? { tex: formula, from: 'tex' } : { tex, from: 'mathjs' };
}

/**
 * TeX → MathML by temml. An unknown command is shown by name in red inside
 * the typeset formula; TeX that does not parse is shown as its source with
 * temml's message (or throws, with `strict`).
 */
export function texToMathml(tex: string, display = true, strict = false): string {
  return temml.renderToString(tex, { displayMode: display, annotate: display, throwOnError: strict, errorColor: '#cf222e' });
}

/** A claim's formula (mathjs or TeX) as display MathML. */
export function renderFormula(formula: string): string {
  return texToMathml(formulaToTex(formula).tex);
}

// ------------------------------------------------------------ prose notation

/** One piece of prose: plain text, code (backticks), TeX ($…$), or a symbol with its scripts. */
export type NotationPiece =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'tex'; tex: string }
  | { kind: 'scripted'; base: string; sub?: string; sup?: string; source: string };

const SUPERSCRIPT_CHARS: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-', '⁺': '+', 'ⁿ': 'n', '*': '*' };
const BASE_SYMBOLS = new Set(['‖', '∇', 'Σ', '∑', '∏', ']', '⟩']);
const MAX_GROUP_BASE = 40;

const isAsciiAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);

/** The end (exclusive) of a balanced {…} group starting at `open`, or -1. */
function groupEnd(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** A symbol that may carry scripts, starting at i: its text and end, or null. */
function baseAt(s: string, i: number): { base: string; end: number } | null {
  const c = s[i];
  if (c === '(') {
    const close = s.indexOf(')', i + 1);
    const inner = close < 0 ? '' : s.slice(i + 1, close);
    if (close < 0 || close - i > MAX_GROUP_BASE || inner.includes('(')) return null;
    return { base: s.slice(i, close + 1), end: close + 1 };
  }
  if (BASE_SYMBOLS.has(c)) return { base: c, end: i + 1 };
  let end: number;
  if (/[A-Za-z]/.test(c)) {
    if (isAsciiAlnum(s[i - 1]) || s[i - 1] === '_') return null;
    end = i;
    while (end < s.length && /[A-Za-z]/.test(s[end])) end++;
  } else if (/\p{L}/u.test(c)) {
    end = i + 1;
  } else return null;
  // Accents, primes, stars and Unicode superscripts belong to the symbol: q̄, π', L*, σ².
  while (end < s.length && /[\p{M}'′]/u.test(s[end])) end++;
  while (end < s.length && s[end] in SUPERSCRIPT_CHARS) end++;
  return { base: s.slice(i, end), end };
}

/** One script after "_" or "^" at i: its content and end, or null. */
function scriptAt(s: string, i: number): { content: string; end: number } | null {
  if (s[i] === '{') {
    const end = groupEnd(s, i);
    return end < 0 ? null : { content: s.slice(i + 1, end - 1), end };
  }
  const m = /^(?:[-−]?[0-9]+(?:\.[0-9]+)?|[-−]?[A-Za-z0-9]+|[-−]?\p{L}|\*|∞)/u.exec(s.slice(i));
  return m ? { content: m[0], end: i + m[0].length } : null;
}

/** A symbol with its scripts at i, or null when there is none there. */
function scriptedAt(s: string, i: number): { piece: NotationPiece & { kind: 'scripted' }; end: number } | null {
  const b = baseAt(s, i);
  if (!b) return null;
  let sub: string | undefined;
  let sup: string | undefined;
  let j = b.end;
  while ((s[j] === '_' && sub === undefined) || (s[j] === '^' && sup === undefined)) {
    const script = scriptAt(s, j + 1);
    if (!script) break;
    if (s[j] === '_') sub = script.content;
    else sup = script.content;
    j = script.end;
  }
  if (sub === undefined && sup === undefined) return null;
  // Unicode superscripts right after the scripts: σ_W² is σ with subscript W and superscript 2.
  let k = j;
  while (k < s.length && s[k] in SUPERSCRIPT_CHARS && s[k] !== '*') k++;
  if (k > j && sup === undefined) {
    sup = [...s.slice(j, k)].map((ch) => SUPERSCRIPT_CHARS[ch]).join('');
    j = k;
  }
  // a_b_c is an identifier, not mathematics.
  if (s[j] === '_') return null;
  return { piece: { kind: 'scripted', base: b.base, ...(sub !== undefined ? { sub } : {}), ...(sup !== undefined ? { sup } : {}), source: s.slice(i, j) }, end: j };
}

/** Prose split into text, code, TeX and scripted symbols (the convention in the header). */
export function notationPieces(text: string, opts: { dollars?: boolean; code?: boolean } = {}): NotationPiece[] {
  const { dollars = true, code = true } = opts;
  const out: NotationPiece[] = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push({ kind: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '$' && dollars) {
      plain += '$';
      i += 2;
      continue;
    }
    if ((c === '$' && dollars) || (c === '`' && code)) {
      let close = i + 1;
      while (close < text.length && !(text[close] === c && text[close - 1] !== '\\')) close++;
      if (close < text.length && close > i + 1) {
        flush();
        const inner = text.slice(i + 1, close);
        out.push(c === '$' ? { kind: 'tex', tex: inner } : { kind: 'code', text: inner });
        i = close + 1;
        continue;
      }
    }
    const scripted = scriptedAt(text, i);
    if (scripted) {
      flush();
      out.push(scripted.piece);
      i = scripted.end;
      continue;
    }
    const cp = String.fromCodePoint(text.codePointAt(i)!);
    plain += cp;
    i += cp.length;
  }
  flush();
  return out;
}

const TEX_SPECIAL: Record<string, string> = { '\\': '\\backslash ', '#': '\\#', '%': '\\%', '&': '\\&', '~': '\\sim ', $: '\\$' };

/** Math-mode TeX for a run of prose-notation text (script contents, parenthesised bases). */
function mathTex(s: string): string {
  return notationPieces(s, { dollars: false, code: false })
    .map((p) => {
      if (p.kind === 'scripted') return scriptedTex(p);
      if (p.kind !== 'text') return '';
      // Words of ≥ 3 letters (or 2 capitals: ML) are names, upright; shorter runs are variables.
      return p.text.replace(/[A-Za-z]{3,}|\b[A-Z]{2}\b|[\\#%&~${}]/g, (w) => (w.length > 1 ? `\\mathrm{${w}}` : (TEX_SPECIAL[w] ?? `\\${w}`)));
    })
    .join('');
}

function scriptedTex(p: NotationPiece & { kind: 'scripted' }): string {
  let base = p.base;
  let baseSup = '';
  const m = /^(.*?)([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿ*]+)$/u.exec(base);
  if (m && m[1] && !base.startsWith('(')) {
    base = m[1];
    baseSup = [...m[2]].map((ch) => SUPERSCRIPT_CHARS[ch]).join('');
  }
  let tex: string;
  if (base.startsWith('(')) tex = `\\left(${mathTex(base.slice(1, -1))}\\right)`;
  else if (base === '‖') tex = '\\|';
  else if (/^[A-Za-z]{2,}/.test(base)) tex = `\\mathrm{${base.match(/^[A-Za-z]+/)![0]}}${base.replace(/^[A-Za-z]+/, '')}`;
  else tex = base;
  let sup = p.sup === undefined ? undefined : mathTex(p.sup);
  if (baseSup) {
    if (sup === undefined) sup = mathTex(baseSup);
    else tex = `{${tex}^{${mathTex(baseSup)}}}`;
  }
  return `{${tex}}${p.sub !== undefined ? `_{${mathTex(p.sub)}}` : ''}${sup !== undefined ? `^{${sup}}` : ''}`;
}

/** Prose as HTML: text escaped, mathematics as inline MathML (see the header for the convention). */
export function typesetProse(text: string): string {
  return notationPieces(text)
    .map((p) => {
      switch (p.kind) {
        case 'text':
          return escapeXml(p.text);
        case 'code':
          return `<code>${escapeXml(p.text)}</code>`;
        case 'tex':
          return texToMathml(p.tex, false);
        case 'scripted':
          // Recognised by the convention, not written as TeX: if it does not typeset, it stays text.
          try {
            return texToMathml(scriptedTex(p), false, true);
          } catch {
            return escapeXml(p.source);
          }
      }
    })
    .join('');
}

/** Prose for plain-text formats (junit.xml): the `$` around TeX dropped, the TeX kept; `\$` is a dollar. */
export function plainProse(text: string): string {
  return text.replace(/\\\$|\$((?:\\\$|[^$])+)\$|\$/g, (m, inner: string | undefined) => (m === '\\$' ? '$' : (inner ?? m)));
}
