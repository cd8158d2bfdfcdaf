(() => {
  // Layout checks for a phone-first page, beside audit.js's accessibility checks: nothing scrolls
  // sideways (neither the page nor a box inside it), no text is clipped by its box, and every
  // control a thumb must hit is at least 44 by 44 CSS pixels.
  const problems = [];
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    const cls = el.classList.length ? '.' + Array.from(el.classList).join('.') : '';
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}> "${text.replace(/\s+/g, ' ').slice(0, 40)}"`;
  };
  // checkVisibility() also sees what a closed <details> hides.
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return el.checkVisibility({ visibilityProperty: true }) && box.width > 0 && box.height > 0;
  };
  // Text kept for screen readers only (a 1 px box clipped away) is not cut off by mistake.
  const clippedAway = new Map();
  const hiddenOnPurpose = (el) => {
    if (!el || el === document.body) return false;
    if (clippedAway.has(el)) return clippedAway.get(el);
    const style = getComputedStyle(el);
    const own = el.matches('.skip, [aria-hidden=true]')
      || (style.clip.startsWith('rect') && el.getBoundingClientRect().width <= 1);
    const result = own || hiddenOnPurpose(el.parentElement);
    clippedAway.set(el, result);
    return result;
  };

  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || hiddenOnPurpose(el)) continue;
    const style = getComputedStyle(el);
    // A box that scrolls sideways hides part of its content from a reader who does not know
    // to swipe inside it; one pixel of rounding is forgiven.
    if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
        && el !== document.scrollingElement && el !== document.body) {
      problems.push(`scrolls sideways inside the page: ${describe(el)} (${el.scrollWidth}px of content in ${el.clientWidth}px)`);
    }
    const clips = (v) => ['hidden', 'clip'].includes(v);
    if (clips(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.innerText.trim()) {
      problems.push(`text cut off at the side: ${describe(el)}`);
    }
    if (clips(style.overflowY) && el.scrollHeight > el.clientHeight + 1 && el.innerText.trim()) {
      problems.push(`text cut off at the bottom: ${describe(el)}`);
    }
    if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`text shortened with an ellipsis: ${describe(el)}`);
    }
  }

  // Text that runs past the right edge of the window is cut off even where nothing scrolls
  // (overflow hidden on an ancestor, or the page's own overflow clipped).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let reported = 0;
  for (let node = walker.nextNode(); node && reported < 3; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    if (!parent || !visible(parent) || hiddenOnPurpose(parent)) continue;
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width && (box.right > window.innerWidth + 1 || box.left < -1)) {
      problems.push(`text runs past the edge of the window: ${describe(parent)}`);
      reported += 1;
    }
  }

  // Tap targets: controls and the links that stand on their own (navigation, buttons drawn as
  // links). Links inside running text are exempt, as WCAG 2.5.5 exempts them.
  const targets = document.querySelectorAll(
    'button, input[type=submit], input[type=button], select, input[type=text], input[type=email], '
    + 'input[type=password], input[type=number], input[type=date], input[type=datetime-local], '
    + 'input[type=search], input:not([type]), summary, a.button, header a, .nav a');
  for (const el of targets) {
    if (!visible(el) || hiddenOnPurpose(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.height < 43.5 || box.width < 43.5) {
      problems.push(`tap target smaller than 44 px: ${describe(el)} (${Math.round(box.width)}x${Math.round(box.height)})`);
    }
  }
  for (const el of document.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    if (!visible(el) || hiddenOnPurpose(el)) continue;
    const label = el.closest('label') || (el.labels && el.labels[0]);
    const box = (label || el).getBoundingClientRect();
    if (box.height < 43.5) {
      problems.push(`tap target smaller than 44 px: ${describe(label || el)} (${Math.round(box.width)}x${Math.round(box.height)})`);
    }
  }
  return problems;
})
