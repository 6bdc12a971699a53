// DOM helpers of the chat page: `$` finds an element by id, `el` builds one. Untrusted text goes in
// through `text` (textContent); `html` takes only renderMarkdown() output.

export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'html')
      node.innerHTML = v; // only ever given renderMarkdown() output
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  // Flattened all the way: a child may be a list of lists (a FactSet's [dt, dd] pairs); one level
  // would hand append() an array, which it shows as "[object HTMLElement],…".
  for (const c of children.flat(Number.POSITIVE_INFINITY))
    if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}
