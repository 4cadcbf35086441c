const { createServer } = require('./app');

createServer().listen(8080, () => console.log('${{ values.name }} listening on :8080'));
