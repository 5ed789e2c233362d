/**
 * A claim's formula for report.html, as MathML (rendered natively by
 * Chromium, Firefox and Safari: no script, no network).
 *
 * Input is either a mathjs expression ("G_n <= C * log(n) / sqrt(n)") or
 * TeX ("G_n = O(\log n/\sqrt{n})"). A string with a backslash or a brace is
 * TeX. Otherwise it is split at its relations (=, <=, >=, <, >, ≈, ≤, ≥),
 * each side is parsed by mathjs and printed as TeX (mathjs reads "=" as
 * assignment, so relations are handled here); if mathjs cannot parse a side
 * the whole string is read as TeX. Then a small TeX → MathML translator
 * (the subset claims use: fractions, roots, sub/superscripts, Greek, common
 * operators and functions, \left…\right, \mathbb, \mathrm, \text) builds the
 * markup. Unknown commands are shown by name, never dropped.
 */
import { parse, type MathNode } from 'mathjs';

const GREEK: Record<string, string> = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', varepsilon: 'ε', zeta: 'ζ', eta: 'η', theta: 'θ',
  vartheta: 'ϑ', iota: 'ι', kappa: 'κ', lambda: 'λ', mu: 'μ', nu: 'ν', xi: 'ξ', pi: 'π', rho: 'ρ', sigma: 'σ',
  tau: 'τ', upsilon: 'υ', phi: 'φ', varphi: 'φ', chi: 'χ', psi: 'ψ', omega: 'ω',
  Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ', Pi: 'Π', Sigma: 'Σ', Phi: 'Φ', Psi: 'Ψ', Omega: 'Ω',
};

/** Commands that become operators (<mo>). */
const OPERATORS: Record<string, string> = {
  le: '≤', leq: '≤', ge: '≥', geq: '≥', ne: '≠', neq: '≠', approx: '≈', sim: '∼', simeq: '≃', equiv: '≡', propto: '∝',
  cdot: '·', times: '×', pm: '±', mp: '∓', to: '→', rightarrow: '→', leftarrow: '←', Rightarrow: '⇒', mapsto: '↦',
  in: '∈', notin: '∉', subset: '⊂', subseteq: '⊆', cup: '∪', cap: '∩', mid: '|', '|': '‖', lVert: '‖', rVert: '‖',
  Vert: '‖', vert: '|', lvert: '|', rvert: '|', langle: '⟨', rangle: '⟩', lfloor: '⌊', rfloor: '⌋', lceil: '⌈', rceil: '⌉',
  sum: '∑', prod: '∏', int: '∫', nabla: '∇', partial: '∂', ll: '≪', gg: '≫', ldots: '…', cdots: '⋯', dots: '…',
  '{': '{', '}': '}', '%': '%', ',': '\u2009', ';': '\u2005', ':': '\u2005', '!': '', ' ': ' ', quad: '\u2003', qquad: '\u2003\u2003',
  top: '⊤', perp: '⊥', forall: '∀', exists: '∃', setminus: '∖', circ: '∘', star: '⋆', ast: '∗', '_': '_', '#': '#', '&': '&',
};

/** Commands that become upright identifiers (<mi mathvariant="normal">). */
const FUNCTIONS = new Set([
  'log', 'ln', 'exp', 'det', 'min', 'max', 'sup', 'inf', 'lim', 'sin', 'cos', 'tan', 'arccos', 'arcsin', 'arctan',
  'tanh', 'sinh', 'cosh', 'tr', 'diag', 'arg', 'dim', 'ker', 'Pr', 'deg', 'sgn',
]);

const SYMBOLS: Record<string, string> = { infty: '∞', ell: 'ℓ', hbar: 'ℏ', emptyset: '∅', varnothing: '∅' };
const BLACKBOARD: Record<string, string> = { E: '𝔼', R: 'ℝ', N: 'ℕ', Z: 'ℤ', Q: 'ℚ', C: 'ℂ', P: 'ℙ', V: '𝕍', 1: '𝟙' };
const CALLIGRAPHIC: Record<string, string> = { L: 'ℒ', N: '𝒩', O: '𝒪', D: '𝒟', F: 'ℱ', H: 'ℋ', X: '𝒳', Z: '𝒵', E: 'ℰ', M: 'ℳ', K: '𝒦', P: '𝒫' };
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
  const tex = (s: string) => (GREEK[s] ? `\\${s}` : s.length > 1 ? `\\mathrm{${s}}` : s);
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

// ---------------------------------------------------------------- TeX → MathML

type Token = { kind: 'cmd'; name: string } | { kind: 'char'; ch: string } | { kind: 'num'; text: string };

const SUPERSCRIPTS: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-', '⁺': '+', 'ⁿ': 'n' };

function tokenize(source: string): Token[] {
  // Unicode written directly: "‖∇L‖²" → "‖∇L‖^{2}", "√n" → "\sqrt n".
  const tex = source
    .replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿ]+/g, (run) => `^{${[...run].map((c) => SUPERSCRIPTS[c]).join('')}}`)
    .replace(/√/g, '\\sqrt ');
  const tokens: Token[] = [];
  let i = 0;
  while (i < tex.length) {
    const c = tex[i];
    if (c === '\\') {
      const m = /^[a-zA-Z]+/.exec(tex.slice(i + 1));
      if (m) {
        tokens.push({ kind: 'cmd', name: m[0] });
        i += 1 + m[0].length;
      } else {
        tokens.push({ kind: 'cmd', name: tex[i + 1] ?? '' });
        i += 2;
      }
    } else if (/[0-9.]/.test(c) && /[0-9]/.test(tex.slice(i, i + 2).replace('.', ''))) {
      const m = /^[0-9]*\.?[0-9]+/.exec(tex.slice(i))!;
      tokens.push({ kind: 'num', text: m[0] });
      i += m[0].length;
    } else if (/\s/.test(c)) {
      i++;
    } else if (/[a-zA-Z]/.test(c)) {
      // A run of letters that spells a function name ("log n") is that function; otherwise one identifier per letter.
      const run = /^[a-zA-Z]+/.exec(tex.slice(i))![0];
      if (FUNCTIONS.has(run)) tokens.push({ kind: 'cmd', name: run });
      else for (const ch of run) tokens.push({ kind: 'char', ch });
      i += run.length;
    } else {
      // Keep surrogate pairs (e.g. 𝔼 typed directly) together.
      const cp = String.fromCodePoint(tex.codePointAt(i)!);
      tokens.push({ kind: 'char', ch: cp });
      i += cp.length;
    }
  }
  return tokens;
}

class TexParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): string {
    return this.row(this.sequence(null));
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private row(items: string[]): string {
    return items.length === 1 ? items[0] : `<mrow>${items.join('')}</mrow>`;
  }

  /** Atoms until the closing token (a "}" or \right), with sub/superscripts attached. */
  private sequence(close: '}' | 'right' | null): string[] {
    const items: string[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (close === '}' && t.kind === 'char' && t.ch === '}') break;
      if (close === 'right' && t.kind === 'cmd' && t.name === 'right') break;
      if (t.kind === 'char' && (t.ch === '^' || t.ch === '_')) {
        const base = items.pop() ?? '<mrow></mrow>';
        items.push(this.scripts(base));
        continue;
      }
      items.push(this.atom());
    }
    return items;
  }

  private scripts(base: string): string {
    let sub: string | null = null;
    let sup: string | null = null;
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'char' || (t.ch !== '^' && t.ch !== '_')) break;
      this.pos++;
      const arg = this.argument();
      if (t.ch === '_') sub = arg;
      else sup = arg;
    }
    if (sub !== null && sup !== null) return `<msubsup>${base}${sub}${sup}</msubsup>`;
    if (sub !== null) return `<msub>${base}${sub}</msub>`;
    return `<msup>${base}${sup ?? '<mrow></mrow>'}</msup>`;
  }

  /** One argument: a braced group or a single atom. */
  private argument(): string {
    const t = this.peek();
    if (t && t.kind === 'char' && t.ch === '{') {
      this.pos++;
      const items = this.sequence('}');
      this.pos++; // the "}"
      return `<mrow>${items.join('')}</mrow>`;
    }
    return t ? this.atom() : '<mrow></mrow>';
  }

  /** Raw text of a braced group (for \text, \mathrm, \operatorname). */
  private rawGroup(): string {
    const t = this.peek();
    if (!t || t.kind !== 'char' || t.ch !== '{') return '';
    this.pos++;
    let depth = 1;
    let text = '';
    while (this.pos < this.tokens.length) {
      const u = this.tokens[this.pos++];
      if (u.kind === 'char' && u.ch === '{') depth++;
      if (u.kind === 'char' && u.ch === '}' && --depth === 0) break;
      text += u.kind === 'cmd' ? (GREEK[u.name] ?? OPERATORS[u.name] ?? u.name) : u.kind === 'num' ? u.text : u.ch;
    }
    return text;
  }

  private delimiter(): string {
    const t = this.tokens[this.pos++];
    if (!t) return '';
    if (t.kind === 'char') return t.ch === '.' ? '' : t.ch;
    if (t.kind === 'num') return t.text;
    return OPERATORS[t.name] ?? t.name;
  }

  private atom(): string {
    const t = this.tokens[this.pos++];
    if (t.kind === 'num') return `<mn>${escapeXml(t.text)}</mn>`;
    if (t.kind === 'char') {
      if (t.ch === '{') {
        const items = this.sequence('}');
        this.pos++;
        return `<mrow>${items.join('')}</mrow>`;
      }
      if (t.ch === '}') return '';
      if (/\p{L}/u.test(t.ch)) return `<mi>${escapeXml(t.ch)}</mi>`;
      if (t.ch === "'") return '<mo>′</mo>';
      if (t.ch === '-') return '<mo>−</mo>';
      return `<mo>${escapeXml(t.ch)}</mo>`;
    }
    const name = t.name;
    switch (name) {
      case 'frac':
      case 'dfrac':
      case 'tfrac':
        return `<mfrac>${this.argument()}${this.argument()}</mfrac>`;
      case 'sqrt': {
        const next = this.peek();
        if (next && next.kind === 'char' && next.ch === '[') {
          this.pos++;
          const index: string[] = [];
          while (this.peek() && !(this.peek()!.kind === 'char' && (this.peek() as { ch: string }).ch === ']')) index.push(this.atom());
          this.pos++;
          const radicand = this.argument();
          return `<mroot>${radicand}<mrow>${index.join('')}</mrow></mroot>`;
        }
        return `<msqrt>${this.argument()}</msqrt>`;
      }
      case 'left': {
        const open = this.delimiter();
        const inner = this.sequence('right');
        this.pos++; // \right
        const close = this.delimiter();
        const fence = (d: string) => (d ? `<mo fence="true" stretchy="true">${escapeXml(d)}</mo>` : '');
        return `<mrow>${fence(open)}${inner.join('')}${fence(close)}</mrow>`;
      }
      case 'right':
        return '';
      case 'mathbb':
      case 'mathbf':
      case 'boldsymbol':
      case 'mathcal': {
        const text = this.rawGroup() || this.delimiter();
        const table = name === 'mathbb' ? BLACKBOARD : name === 'mathcal' ? CALLIGRAPHIC : {};
        const mapped = [...text].map((ch) => table[ch] ?? ch).join('');
        const variant = name === 'mathbf' || name === 'boldsymbol' ? ' mathvariant="bold"' : mapped === text && name !== 'mathbb' ? '' : ' mathvariant="normal"';
        return `<mi${variant}>${escapeXml(mapped)}</mi>`;
      }
      case 'mathrm':
      case 'operatorname':
        return `<mi mathvariant="normal">${escapeXml(this.rawGroup())}</mi>`;
      case 'text':
      case 'textrm':
      case 'mbox':
        return `<mtext>${escapeXml(this.rawGroup())}</mtext>`;
      case 'hat':
      case 'bar':
      case 'overline':
      case 'tilde':
      case 'widehat':
      case 'widetilde':
      case 'vec':
      case 'dot': {
        const accent = { hat: '^', widehat: '^', bar: '¯', overline: '¯', tilde: '~', widetilde: '~', vec: '→', dot: '˙' }[name];
        return `<mover accent="true">${this.argument()}<mo>${accent}</mo></mover>`;
      }
    }
    if (GREEK[name]) return `<mi>${GREEK[name]}</mi>`;
    if (SYMBOLS[name]) return `<mi>${SYMBOLS[name]}</mi>`;
    if (FUNCTIONS.has(name)) return `<mi mathvariant="normal">${name}</mi>`;
    if (name in OPERATORS) {
      const op = OPERATORS[name];
      if (op === '') return '';
      return /^\s+$/.test(op) ? `<mspace width="${op.length > 1 ? '2em' : '0.25em'}"/>` : `<mo>${escapeXml(op)}</mo>`;
    }
    // Unknown command: show it by name so a reader sees what the source said.
    return `<mtext>\\${escapeXml(name)}</mtext>`;
  }
}

export function texToMathml(tex: string, display = true): string {
  const body = new TexParser(tokenize(tex)).parseAll();
  return (
    `<math xmlns="http://www.w3.org/1998/Math/MathML"${display ? ' display="block"' : ''}>` +
    `<semantics>${body.startsWith('<mrow>') ? body : `<mrow>${body}</mrow>`}` +
    `<annotation encoding="application/x-tex">${escapeXml(tex)}</annotation></semantics></math>`
  );
}

/** The formula as TeX: mathjs expressions are converted, TeX is kept. */
export function formulaToTex(formula: string): { tex: string; from: 'mathjs' | 'tex' } {
  const tex = mathjsToTex(formula);
  return tex === null ? { tex: formula, from: 'tex' } : { tex, from: 'mathjs' };
}

export function renderFormula(formula: string): string {
  return texToMathml(formulaToTex(formula).tex);
}
