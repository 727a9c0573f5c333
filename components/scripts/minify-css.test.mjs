import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minifyCssTemplates } from './minify-css.mjs';

/** What a module's source becomes: [what it shows, source, minified]. */
const cases = [
  [
    'a css template loses the whitespace and comments CSS ignores, and nothing else',
    "const a = css`\n  :host([state='x']) .bar svg,\n  p {\n    gap: 0 calc(var(--s) * 2);\n    /* it's why */\n    margin: 0;\n  }\n`;",
    "const a = css` :host([state='x']) .bar svg,p{gap:0 calc(var(--s) * 2);margin:0}`\n\n\n\n\n\n\n;",
  ],
  [
    'expressions inside a css template and code outside it are kept as they are',
    'const b = css`\n  :host {\n    ${declare({ a: 1 })}\n  }\n`, c = `x  {  y }`;',
    'const b = css` :host{${declare({ a: 1 })}}`\n\n\n\n, c = `x  {  y }`;',
  ],
  [
    'quoted strings inside a css template keep their spaces',
    "x = css`\n  a::before {\n    content: 'a, b: c';\n  }\n  [title=\"x  y\"] { color: red; }\n`;",
    "x = css` a::before{content:'a, b: c'}[title=\"x  y\"]{color:red}`\n\n\n\n\n;",
  ],
  [
    'only the css tag starts a template: a name that ends in css, or `css` in a comment, does not',
    '// the `css` tag\nconst a = mycss`a {  b: c }`, b = css`a {  b: c }`;',
    '// the `css` tag\nconst a = mycss`a {  b: c }`, b = css`a{b:c}`;',
  ],
];

for (const [name, source, minified] of cases) {
  test(name, () => {
    assert.equal(minifyCssTemplates(source), minified);
    // The line breaks taken out follow the template: the source map of the code after it stays right.
    assert.equal(minified.split('\n').length, source.split('\n').length);
  });
}
