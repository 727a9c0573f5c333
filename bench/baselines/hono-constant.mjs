import { Hono } from 'hono';

/** The polling baseline: a bare Hono route that returns a constant, with nothing in front of it. */
export function honoConstant() {
  const body = { ok: true };
  return new Hono().get('/', (c) => c.json(body));
}
