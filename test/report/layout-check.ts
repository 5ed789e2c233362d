/**
 * What "reads well at a glance" means for report.html, measured in the
 * browser (run with page.evaluate): nothing sticks out of its card, no SVG
 * text leaves its plot, no label is cut.
 *  - overflow: an element's box or a line of text that extends past its card
 *    (a claim section, the summary section, the page header) by more than
 *    1 px, or a card whose content is wider than it (scrollWidth). An element
 *    inside a horizontally scrolling container (a table's wrapper, a formula,
 *    a <pre>) is judged by that container instead: scrolling inside the card
 *    is allowed, pushing past it is not.
 *  - scrolling: scroll containers whose content is wider than they are (the
 *    reader must scroll to see it all). Allowed on narrow screens; the test
 *    expects none at desktop width.
 *  - svgTextOutside: a text element of a plot whose box leaves its <svg>.
 *  - truncated: a plot text ending in "…" (vega's truncation).
 */
export interface LayoutProblems {
  overflow: { card: string; element: string; excess: number }[];
  scrolling: { card: string; element: string; scrollWidth: number; clientWidth: number }[];
  svgTextOutside: { card: string; text: string; excess: number }[];
  truncated: { card: string; text: string }[];
}

/** Runs in the page: pass to page.evaluate. */
export function measureLayout(): LayoutProblems {
  const out: LayoutProblems = { overflow: [], scrolling: [], svgTextOutside: [], truncated: [] };
  const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}${el.textContent ? ` "${el.textContent.trim().slice(0, 40)}"` : ''}`;
  const cards = [...document.querySelectorAll('section.claim, section.summary-section, body > header')];
  const scrolls = (el: Element) => {
    const o = getComputedStyle(el).overflowX;
    return o === 'auto' || o === 'scroll' || o === 'hidden';
  };
  for (const card of cards) {
    const name = card.getAttribute('data-claim-id') ?? card.className ?? card.tagName;
    const box = card.getBoundingClientRect();
    const style = getComputedStyle(card);
    const left = box.left + parseFloat(style.borderLeftWidth);
    const right = box.right - parseFloat(style.borderRightWidth);
    for (const el of card.querySelectorAll('*')) {
      // Judge the outermost scroll container between the element and the card, not what it scrolls.
      let container: Element | null = null;
      for (let a = el.parentElement; a && a !== card; a = a.parentElement) if (scrolls(a)) container = a;
      if (container) continue;
      if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const excess = Math.max(r.right - right, left - r.left);
      if (excess > 1) out.overflow.push({ card: name, element: describe(el), excess: Math.round(excess) });
      if (scrolls(el) && el.scrollWidth > el.clientWidth + 1) out.scrolling.push({ card: name, element: describe(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth });
    }
    // Text spilling out of its box (a nowrap cell, a long word) moves no element's box: measure the text itself.
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || !node.textContent?.trim() || parent.closest('svg')) continue;
      let inScroller = false;
      for (let a: Element | null = parent; a && a !== card; a = a.parentElement) if (scrolls(a)) inScroller = true;
      if (inScroller) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        const excess = Math.max(r.right - right, left - r.left);
        if (excess > 1) out.overflow.push({ card: name, element: `text in ${describe(parent)}`, excess: Math.round(excess) });
      }
    }
    if (card.scrollWidth > card.clientWidth + 1) out.overflow.push({ card: name, element: `the card itself (scrollWidth ${card.scrollWidth} > ${card.clientWidth})`, excess: card.scrollWidth - card.clientWidth });
    for (const svg of card.querySelectorAll('figure.plot svg')) {
      const s = svg.getBoundingClientRect();
      for (const t of svg.querySelectorAll('text')) {
        const r = t.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        const excess = Math.max(r.right - s.right, s.left - r.left, r.bottom - s.bottom, s.top - r.top);
        if (excess > 1) out.svgTextOutside.push({ card: name, text: (t.textContent ?? '').slice(0, 60), excess: Math.round(excess) });
        if ((t.textContent ?? '').trim().endsWith('…')) out.truncated.push({ card: name, text: (t.textContent ?? '').slice(0, 60) });
      }
    }
  }
  return out;
}
