// A small structural check of an HTML document for the tests: a doctype,
// every non-void element closed in order, no script, one html/head/body.
// Not a full validator (none is packaged for Node here without a download
// of Java), but it catches what a string-built report gets wrong.
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
// Elements of SVG whose self-closing form is allowed (foreign content).
export function checkHtml(html) {
  const errors = [];
  if (!/^<!DOCTYPE html>/i.test(html)) errors.push('no <!DOCTYPE html> first');
  const body = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<style[^>]*>[\s\S]*?<\/style>/gi, '<style></style>');
  const stack = [];
  let svgDepth = 0;
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[^\s=>\/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*(\/?)>/g)) {
    const [, close, rawName, , self] = m;
    const name = svgDepth ? rawName : rawName.toLowerCase();
    if (name === 'script') errors.push('a <script> element');
    if (close) {
      const top = stack.pop();
      if (top !== name) { errors.push(`</${name}> closes <${top}>`); break; }
      if (name === 'svg') svgDepth--;
    } else if (self) {
      if (!svgDepth && !VOID.has(name)) errors.push(`<${name}/> is not a void element`);
    } else if (!VOID.has(name)) {
      stack.push(name);
      if (name === 'svg') svgDepth++;
    }
  }
  if (stack.length) errors.push(`unclosed: ${stack.join(' > ')}`);
  for (const t of ['html', 'head', 'body', 'title']) {
    const n = (body.match(new RegExp(`<${t}[\\s>]`, 'gi')) || []).length;
    if (n !== 1) errors.push(`${n} <${t}> elements`);
  }
  if (/\son[a-z]+\s*=/i.test(body)) errors.push('an inline event handler');
  return errors;
}
