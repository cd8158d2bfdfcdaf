(() => {
  const problems = [];
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}> "${text.slice(0, 40)}"`;
  };
  // checkVisibility() also sees what a closed <details> hides.
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return el.checkVisibility({ visibilityProperty: true }) && box.width > 0 && box.height > 0;
  };
  const byIds = (ids) => ids.split(/\s+/).map((id) => document.getElementById(id))
    .filter(Boolean).map((el) => el.textContent.trim()).join(' ').trim();
  const nameOf = (el) => {
    if (el.getAttribute('aria-labelledby')) return byIds(el.getAttribute('aria-labelledby'));
    if ((el.getAttribute('aria-label') || '').trim()) return el.getAttribute('aria-label').trim();
    const labels = el.labels ? Array.from(el.labels) : [];
    const fromLabels = labels.map((l) => l.textContent.trim()).join(' ').trim();
    if (fromLabels) return fromLabels;
    return (el.getAttribute('title') || '').trim();
  };

  if (!document.documentElement.lang) problems.push('<html> has no lang attribute');
  if (!document.title.trim()) problems.push('the page has no <title>');

  const h1s = document.querySelectorAll('h1');
  if (h1s.length !== 1) problems.push(`${h1s.length} <h1> elements; a page has exactly one`);
  let previous = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (previous && level > previous + 1) problems.push(`heading level skipped before ${describe(h)}`);
    if (!h.textContent.trim()) problems.push(`empty heading ${describe(h)}`);
    previous = level;
  }
  const mains = document.querySelectorAll('main');
  if (mains.length !== 1) problems.push(`${mains.length} <main> landmarks; a page has exactly one`);

  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea');
  for (const el of controls) {
    if (!nameOf(el)) problems.push(`form control without a label: ${describe(el)}`);
  }
  for (const el of document.querySelectorAll('button, input[type=submit], input[type=button], a[href]')) {
    const name = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    if (!name && visible(el)) problems.push(`button or link without a name: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`<img> without alt: ${img.src}`);
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getAttribute('aria-hidden') === 'true') continue;
    if (svg.getAttribute('role') !== 'img') problems.push(`<svg> is neither role=img nor aria-hidden`);
    else if (!nameOf(svg)) problems.push(`<svg role=img> without aria-label: ${svg.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('[role=img]')) {
    if (!nameOf(el)) problems.push(`role=img without a name: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('[tabindex]')) {
    if (Number(el.getAttribute('tabindex')) > 0) problems.push(`positive tabindex breaks focus order: ${describe(el)}`);
  }
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) problems.push(`id "${id}" is used ${n} times`);

  const scroller = document.scrollingElement;
  if (scroller.scrollWidth > window.innerWidth) {
    const wide = Array.from(document.querySelectorAll('main *, header *, footer *'))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 3).map(describe).join(', ');
    problems.push(`page scrolls sideways: ${scroller.scrollWidth}px wide in a ${window.innerWidth}px window (${wide})`);
  }

  // Contrast: every visible element that holds text of its own, against the first opaque
  // background behind it. Text over a background image cannot be judged here and is skipped.
  const rgba = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const luminance = (c) => {
    const ch = [c.r, c.g, c.b].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;
      const bg = rgba(style.backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  for (const el of document.querySelectorAll('body *')) {
    const ownText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !visible(el) || el.closest('[aria-hidden=true]')) continue;
    if (el.matches('option, select')) continue;  // drawn by the platform, not by our CSS
    const style = getComputedStyle(el);
    const bg = backgroundOf(el);
    const fg = rgba(style.color);
    if (!bg || !fg) continue;
    const text = over(fg, bg);
    const [hi, lo] = [luminance(text), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed) {
      problems.push(`contrast ${ratio.toFixed(2)}:1 < ${needed}:1 for ${describe(el)} (${style.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
    }
  }
  return problems;
})
