// ${{ values.name }}: ${{ values.description }}
const http = require('node:http');

function databaseHost(url) {
  if (!url) return null;
  try { return new URL(url).hostname; } catch { return null; }
}

function createServer(env = process.env) {
  const dbHost = databaseHost(env.DATABASE_URL{% if values.database %} || ${{ values.databaseUrl | dump }}{% endif %});
  return http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/healthz') return res.end(JSON.stringify({ status: 'ok' }));
    if (req.url === '/info') return res.end(JSON.stringify({ service: '${{ values.name }}', databaseHost: dbHost }));
    res.statusCode = 404;
    res.end(JSON.stringify({ error: 'not found' }));
  });
}

module.exports = { createServer, databaseHost };
