const test = require('node:test');
const assert = require('node:assert');
const { createServer, databaseHost } = require('../src/app');

test('healthz answers ok', async () => {
  const server = createServer({}).listen(0);
  const { port } = server.address();
  const body = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
  server.close();
  assert.deepStrictEqual(body, { status: 'ok' });
});

test('database host is parsed from the URL', () => {
  assert.strictEqual(databaseHost('postgres://a:b@db.internal:5432/x'), 'db.internal');
  assert.strictEqual(databaseHost(undefined), null);
});
