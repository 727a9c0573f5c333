/**
 * Rollup plugin: removes the indentation, line breaks and optional spaces from the text
 * of every `css` tagged template in the elements' sources. Terser leaves template text
 * as it is, so without this the styles ship as written. The expressions inside `${…}`
 * are left alone; only whitespace that CSS ignores goes: runs of whitespace become one
 * space, and the space next to `{`, `}`, `;` and after `:` or `,` is dropped (never the
 * space of a descendant combinator, `.a .b`, nor the spaces inside `calc()` that
 * `+` and `-` need). Comments go too; quoted strings stay as written.
 */
export function minifyCss() {
  return {
    name: 'job-status-minify-css',
    transform(code, id) {
      if (!/\.ts$/.test(id) || !code.includes('css`')) return null;
      // The code keeps its lines (see below): the source map of the code around stays right.
      return { code: minifyCssTemplates(code), map: null };
    },
  };
}

/** The CSS text of one template part, without the whitespace CSS ignores; quoted strings are kept as written. */
export const minifyCssText = (text) =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(/('[^']*'|"[^"]*")/)
    .map((part, i) =>
      i % 2
        ? part
        : part
            .replace(/\s+/g, ' ')
            .replace(/ ?([{};]) ?/g, '$1')
            .replace(/([:,]) /g, '$1'),
    )
    .join('')
    .replace(/;}/g, '}');

/** Every `css` template of a module's source, its text parts minified. */
export function minifyCssTemplates(code) {
  let out = '';
  let at = 0;
  // `css` as a tag: not part of a longer name, and not `css` quoted in a comment.
  const tag = /(?<![\w$.`])css`/g;
  for (let found = tag.exec(code); found; tag.lastIndex = at, found = tag.exec(code)) {
    const start = found.index;
    out += code.slice(at, start + 4);
    const head = out.length;
    let i = start + 4;
    let text = '';
    while (code[i] !== '`') {
      if (code[i] === '\\') {
        text += code.slice(i, i + 2);
        i += 2;
      } else if (code.startsWith('${', i)) {
        // An expression: copied as is, up to its closing brace.
        out += minifyCssText(text);
        text = '';
        let depth = 0;
        const from = i++;
        do {
          if (code[i] === '{') depth++;
          else if (code[i] === '}') depth--;
          i++;
        } while (depth > 0);
        out += code.slice(from, i);
      } else text += code[i++];
    }
    out += `${minifyCssText(text)}\``;
    at = i + 1;
    // The line breaks taken out go after the template, so the lines after it keep their numbers.
    out += '\n'.repeat(code.slice(start, at).split('\n').length - out.slice(head).split('\n').length);
  }
  return out + code.slice(at);
}
