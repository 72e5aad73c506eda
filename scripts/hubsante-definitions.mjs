// The loopback Hub's topology (RabbitMQ definitions) for a vhost and a list of client ids, after the
// ANS dispatcher's test definitions (SAMU-Hub-Sante hub/dispatcher/src/test/resources/config/definitions.json)
// with the Hub's production rules: anchored permissions, no configure right, 24 h TTL, no admin user.
//   node scripts/hubsante-definitions.mjs <vhost> <client id>... > definitions.json
const [vhost, ...clients] = process.argv.slice(2);
if (!vhost || clients.length === 0) {
  console.error('usage: hubsante-definitions.mjs <vhost> <client id>...');
  process.exit(2);
}
const esc = (s) => s.replace(/[.]/g, '\\.');
const durable = { durable: true, auto_delete: false, arguments: {} };
const queues = ['dispatch', 'dispatch.dlq', ...clients.flatMap((c) => ['message', 'ack', 'info'].map((k) => `${c}.${k}`))];
const defs = {
  rabbit_version: '3.10.8',
  vhosts: [{ name: vhost }],
  users: ['dispatcher', ...clients].map((name) => ({ name, tags: [] })),
  permissions: [
    { user: 'dispatcher', vhost, configure: '', read: '^(dispatch|dispatch\\.dlq)$', write: '^distribution$' },
    ...clients.map((c) => ({ user: c, vhost, configure: '', write: '^hubsante$', read: `^${esc(c)}\\.(message|ack|info)$` })),
  ],
  topic_permissions: clients.map((c) => ({ user: c, vhost, exchange: 'hubsante', write: `^${esc(c)}$`, read: '' })),
  exchanges: [
    { name: 'hubsante', vhost, type: 'topic', internal: false, ...durable },
    { name: 'distribution', vhost, type: 'direct', internal: false, ...durable },
    { name: 'distribution.dlx', vhost, type: 'fanout', internal: false, ...durable },
  ],
  queues: queues.map((name) => ({ name, vhost, ...durable })),
  bindings: [
    { source: 'hubsante', vhost, destination: 'dispatch', destination_type: 'queue', routing_key: '#', arguments: {} },
    { source: 'distribution.dlx', vhost, destination: 'dispatch.dlq', destination_type: 'queue', routing_key: '', arguments: {} },
    ...queues.slice(2).map((q) => ({ source: 'distribution', vhost, destination: q, destination_type: 'queue', routing_key: q, arguments: {} })),
  ],
  policies: [
    { vhost, name: 'client-queues', pattern: '^.*\\.(?:ack|message)$', 'apply-to': 'queues', priority: 0, definition: { 'message-ttl': 86400000, 'dead-letter-exchange': 'distribution.dlx' } },
    { vhost, name: 'info-queues', pattern: '^.*\\.info$', 'apply-to': 'queues', priority: 0, definition: { 'message-ttl': 86400000, 'dead-letter-exchange': 'distribution.dlx' } },
  ],
  parameters: [],
  global_parameters: [],
};
process.stdout.write(JSON.stringify(defs, null, 1) + '\n');
