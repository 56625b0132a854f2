// The Node clients wiremock-captain and wiremock-rest-client (from npm) driving a server, call by call.
// Run: NODE_PATH=.../node_modules node node_clients.js BASE_URL
// Prints "PASS name" or "FAIL name<TAB>why" per check and exits 1 if any failed; the same expectations
// hold against WireMock 3.13.2 and against mockpit (tests/test_node_clients.py runs both).
'use strict';
const { WireMock } = require('wiremock-captain');
const { WireMockRestClient } = require('wiremock-rest-client');

const base = process.argv[2];
const captain = new WireMock(base);
const rest = new WireMockRestClient(base, { logLevel: 'silent', continueOnFailure: true });
let passed = 0;
let failed = 0;

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what || 'value'}: expected ${e}, got ${a}`);
}

async function call(path, options) {
  const response = await fetch(base + path, options);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

async function check(name, body) {
  try {
    await rest.global.resetAll();
    await body();
    passed++;
    console.log(`PASS ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\t${String(error && error.stack ? error.message : error).replace(/[\t\n]/g, ' ')}`);
  }
}

async function main() {
  // --- wiremock-captain ---
  await check('captain: register and answer', async () => {
    await captain.register({ method: 'GET', endpoint: '/cap' }, { status: 200, body: { ok: true } });
    const r = await call('/cap');
    equal(r.status, 200);
    equal(JSON.parse(r.text), { ok: true });
  });
  await check('captain: query, headers and body features', async () => {
    await captain.register(
      { method: 'POST', endpoint: '/cap/post', headers: { 'X-T': 't' }, body: { a: 1 } },
      { status: 201, body: 'made' },
    );
    const r = await call('/cap/post', { method: 'POST', headers: { 'X-T': 't', 'Content-Type': 'application/json' }, body: '{"a":1}' });
    equal(r.status, 201);
    equal(JSON.parse(r.text), 'made');
  });
  await check('captain: getRequestsForAPI', async () => {
    await captain.register({ method: 'GET', endpoint: '/cap/seen' }, { status: 204 });
    await call('/cap/seen');
    const seen = await captain.getRequestsForAPI('GET', '/cap/seen');
    equal(seen.length, 1);
  });
  await check('captain: getAllMappings, getMapping, deleteMapping', async () => {
    const created = await captain.register({ method: 'GET', endpoint: '/cap/m' }, { status: 200 });
    equal((await captain.getAllMappings()).length, 1);
    equal((await captain.getMapping(created.id)).id, created.id);
    await captain.deleteMapping(created.id);
    equal((await captain.getAllMappings()).length, 0);
  });
  await check('captain: scenarios', async () => {
    const scenario = { scenarioName: 'S', requiredScenarioState: 'Started', newScenarioState: 'two' };
    await captain.register({ method: 'GET', endpoint: '/cap/s' }, { status: 200, body: 'one' }, { scenario });
    equal(JSON.parse((await call('/cap/s')).text), 'one');
    const scenarios = await captain.getAllScenarios();
    equal(scenarios[0].state, 'two');
    await captain.resetAllScenarios();
    equal(JSON.parse((await call('/cap/s')).text), 'one');
  });
  await check('captain: unmatched requests', async () => {
    await call('/cap/none');
    equal((await captain.getUnmatchedRequests()).length, 1);
  });
  await check('captain: delay and priority features', async () => {
    await captain.register({ method: 'GET', endpoint: '/cap/p' }, { status: 200, body: 'low' }, { stubPriority: 5 });
    await captain.register({ method: 'GET', endpoint: '/cap/p' }, { status: 200, body: 'high' }, { stubPriority: 1, responseDelay: { type: 'fixedMs', constantDelay: 1 } });
    equal(JSON.parse((await call('/cap/p')).text), 'high');
  });
  await check('captain: clearAll and clearAllExceptDefault', async () => {
    await captain.register({ method: 'GET', endpoint: '/cap/c' }, { status: 200 });
    await call('/cap/c');
    await captain.clearAll();
    equal((await captain.getAllMappings()).length, 0);
    equal((await captain.getAllRequests()).length, 0);
    await captain.register({ method: 'GET', endpoint: '/cap/c' }, { status: 200 });
    await captain.clearAllExceptDefault();
    equal((await call('/cap/c')).status, 404);
  });

  // --- wiremock-rest-client ---
  const stub = (url, body, extra) => ({ request: { method: 'GET', url }, response: { status: 200, body }, ...extra });
  await check('rest: createMapping, getMapping, updateMapping, deleteMapping', async () => {
    const created = await rest.mappings.createMapping(stub('/rest', 'one'));
    equal((await call('/rest')).text, 'one');
    equal((await rest.mappings.getMapping(created.id)).id, created.id);
    await rest.mappings.updateMapping(created.id, stub('/rest', 'two'));
    equal((await call('/rest')).text, 'two');
    await rest.mappings.deleteMapping(created.id);
    equal((await call('/rest')).status, 404);
  });
  await check('rest: getAllMappings, deleteAllMappings, resetAllMappings', async () => {
    await rest.mappings.createMapping(stub('/a', 'a'));
    await rest.mappings.createMapping(stub('/b', 'b'));
    equal((await rest.mappings.getAllMappings()).mappings.length, 2);
    await rest.mappings.deleteAllMappings();
    equal((await rest.mappings.getAllMappings()).mappings.length, 0);
    await rest.mappings.createMapping(stub('/c', 'c'));
    await rest.mappings.resetAllMappings();
    equal((await rest.mappings.getAllMappings()).mappings.length, 0);
  });
  await check('rest: findByMetaData, removeByMetaData', async () => {
    await rest.mappings.createMapping(stub('/md', 'md', { metadata: { team: 'a' } }));
    equal((await rest.mappings.findByMetaData({ matchesJsonPath: '$.team' })).mappings.length, 1);
    await rest.mappings.removeByMetaData({ matchesJsonPath: '$.team' });
    equal((await call('/md')).status, 404);
  });
  await check('rest: requests: all, one, count, find, remove', async () => {
    await rest.mappings.createMapping(stub('/r', 'r'));
    await call('/r');
    await call('/r');
    const all = await rest.requests.getAllRequests();
    equal(all.requests.length, 2);
    equal((await rest.requests.getRequest(all.requests[0].id)).id, all.requests[0].id);
    equal((await rest.requests.getCount({ method: 'GET', url: '/r' })).count, 2);
    equal((await rest.requests.findRequests({ method: 'GET', url: '/r' })).requests.length, 2);
    await rest.requests.removeRequests({ method: 'GET', url: '/r' });
    equal((await rest.requests.getAllRequests()).requests.length, 0);
  });
  await check('rest: deleteRequest, deleteAllRequests', async () => {
    await call('/d1');
    await call('/d2');
    const all = await rest.requests.getAllRequests();
    await rest.requests.deleteRequest(all.requests[0].id);
    equal((await rest.requests.getAllRequests()).requests.length, 1);
    await rest.requests.deleteAllRequests();
    equal((await rest.requests.getAllRequests()).requests.length, 0);
  });
  await check('rest: unmatched requests and near misses', async () => {
    await rest.mappings.createMapping(stub('/near', 'n'));
    await call('/nearly');
    equal((await rest.requests.getUnmatchedRequests()).requests.length, 1);
    const misses = await rest.requests.getUnmatchedNearMisses();
    equal(misses.nearMisses.length > 0, true, 'near misses');
    // the client's getNearMissesByRequest(Pattern) read an empty answer from WireMock 3.13.2 as well
  });
  await check('rest: scenarios', async () => {
    await rest.mappings.createMapping(stub('/s', '1', { scenarioName: 'S', requiredScenarioState: 'Started', newScenarioState: 'two' }));
    await rest.mappings.createMapping(stub('/s', '2', { scenarioName: 'S', requiredScenarioState: 'two' }));
    equal((await call('/s')).text, '1');
    equal((await rest.scenarios.getAllScenarios()).scenarios[0].state, 'two');
    await rest.scenarios.setScenarioState('S', 'Started');
    equal((await call('/s')).text, '1');
    await rest.scenarios.resetScenario('S');
    await rest.scenarios.resetAllScenarios();
    equal((await call('/s')).text, '1');
  });
  await check('rest: global settings fixed delay', async () => {
    await rest.global.updateGlobalSettings({ fixedDelay: 1 });
    await rest.global.updateGlobalSettings({ fixedDelay: 0 });
  });
  await check('rest: recording status, start and stop', async () => {
    equal(['NeverStarted', 'Stopped'].includes((await rest.recordings.getRecordingStatus()).status), true, 'status');
    await rest.recordings.startRecording({ targetBaseUrl: base, persist: false });
    equal((await rest.recordings.getRecordingStatus()).status, 'Recording');
    const result = await rest.recordings.stopRecording();
    equal(Array.isArray(result.mappings), true, 'mappings');
  });
  await check('rest: snapshot', async () => {
    await rest.mappings.createMapping(stub('/snap', 'snap'));
    await call('/snap');
    const result = await rest.recordings.takeSnapshotRecording({ filters: { allowNonProxied: true, urlPath: '/snap' }, persist: false });
    equal(result.mappings.length, 1);
  });

  console.log(`passed ${passed} failed ${failed}`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
