// Import rules, checked by `npm test` (npm run check). The layers, bottom up (docs/architecture.md):
//   protocol ← contracts-vm ← consensus ← p2p ← node;  market (pure);  client (protocol + the contract ABI);
//   api (a port that node implements; wire types from client);  agent (market, client);  node wires them.
//   crypto (pure leaves: imports nothing of ours; every folder may import it).
// Each folder lists what it may import; anything else between our folders is forbidden, and since the
// allowed edges form no loop, folders cannot import each other in a circle. File cycles are checked too.
const ROOMS = [
  'crypto',
  'protocol',
  'contracts-vm',
  'consensus',
  'p2p',
  'api',
  'client',
  'market',
  'market-net',
  'agent',
  'node',
];

/**
 * Leaves every folder may import: cryptographic primitives that import nothing of ours (the libsecp256k1
 * loader, which the chain's keys and the pure market's identity keys share).
 */
const LEAVES = ['crypto'];

/** Folder → the folders (or path prefixes) it may import besides itself and the leaves. */
const ALLOWED = {
  crypto: [],
  protocol: [],
  market: [],
  // The day-ahead market over libp2p (coordinator transport, prosumer hosts): the market and keys only.
  'market-net': ['market', 'protocol'],
  'contracts-vm': ['protocol'],
  consensus: ['protocol', 'contracts-vm'],
  p2p: ['protocol', 'consensus'],
  client: ['protocol', 'contracts-vm/abi'],
  api: ['protocol', 'consensus', 'contracts-vm', 'client'],
  agent: ['protocol', 'market', 'client', 'contracts-vm/abi', 'contracts-vm/auction'],
  node: ['protocol', 'contracts-vm', 'consensus', 'p2p', 'api', 'client', 'market', 'market-net', 'agent'],
};

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

const layerRules = Object.entries(ALLOWED).map(([room, own]) => {
  const allowed = LEAVES.includes(room) ? own : [...LEAVES, ...own];
  return {
    name: `layer-${room}`,
    comment: `${room}/ may import only ${allowed.length ? allowed.join(', ') : 'nothing of ours'} (and itself)`,
    severity: 'error',
    from: { path: `^${esc(room)}/` },
    to: {
      path: `^(${ROOMS.map(esc).join('|')}|test|bench|bin)/`,
      pathNot: [`^${esc(room)}/`, ...allowed.map((a) => `^${esc(a)}(/|\\.ts$)`)],
    },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no file imports itself through others (type-only imports included)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'vm-engine-pure',
      comment:
        'the auction clearing engine (contracts-vm/auction) is pure: it imports nothing of ours outside itself',
      severity: 'error',
      from: { path: '^contracts-vm/auction/' },
      to: { path: '^(crypto|protocol|contracts-vm)/', pathNot: '^contracts-vm/auction/' },
    },
    {
      name: 'abi-without-execution',
      comment:
        'the contract ABI (ids, argument codecs, gas) imports only the protocol, the pure limits and the engine types',
      severity: 'error',
      from: { path: '^contracts-vm/abi/' },
      to: {
        path: '^contracts-vm/',
        pathNot: ['^contracts-vm/abi/', '^contracts-vm/auction/(limits|types)\\.ts$'],
      },
    },
    {
      name: 'not-to-tests',
      comment: 'product code never imports tests or benchmarks (the test runner config is not product code)',
      severity: 'error',
      from: { pathNot: '^(test|bench)/|^vitest\\.config\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|devnet|test-artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
