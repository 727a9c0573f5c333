import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minifyCssTemplates } from './minify-css.mjs';

test('a css template loses the whitespace CSS ignores, and nothing else', () => {
  const source = "const a = css`\n  :host([state='x']) .bar svg,\n  p {\n    gap: 0 calc(var(--s) * 2);\n    /* it's why */\n    margin: 0;\n  }\n`;";
  assert.equal(minifyCssTemplates(source), "const a = css` :host([state='x']) .bar svg,p{gap:0 calc(var(--s) * 2);margin:0}`\n\n\n\n\n\n\n;");
});

test('expressions inside a css template and code outside it are kept as they are', () => {
  const source = 'const b = css`\n  :host {\n    ${declare({ a: 1 })}\n  }\n`, c = `x  {  y }`;';
  assert.equal(minifyCssTemplates(source), 'const b = css` :host{${declare({ a: 1 })}}`\n\n\n\n, c = `x  {  y }`;');
});

test('the minified module has as many lines as the source, so source maps stay right', () => {
  const source = 'x = css`\n  a {\n    b: c;\n  }\n`;\ny();\n';
  assert.equal(minifyCssTemplates(source).split('\n').length, source.split('\n').length);
});

test('quoted strings inside a css template keep their spaces', () => {
  const source = "x = css`\n  a::before {\n    content: 'a, b: c';\n  }\n  [title=\"x  y\"] { color: red; }\n`;";
  assert.equal(minifyCssTemplates(source), "x = css` a::before{content:'a, b: c'}[title=\"x  y\"]{color:red}`\n\n\n\n\n;");
});

test('only the css tag starts a template: a name that ends in css, or `css` in a comment, does not', () => {
  const source = '// the `css` tag\nconst a = mycss`a {  b: c }`, b = css`a {  b: c }`;';
  assert.equal(minifyCssTemplates(source), '// the `css` tag\nconst a = mycss`a {  b: c }`, b = css`a{b:c}`;');
});
