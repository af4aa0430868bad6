/**
 * The generated shim (Code.gs + Config.gs in $ADDON_BUILD_DIR, default addon/build) run in the
 * Apps Script stand-in: what it sends, and what Calendar gets back for each kind of answer.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');
const assert = require('node:assert/strict');
const {
  addonBuildDir,
  allowedByWhitelist,
  isGoogleHostedLogo,
  loadAddon,
} = require('./apps_script_standin.js');

const BUILD_DIR = addonBuildDir();
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c3RhbmQtaW4.c2lnbmF0dXJl';
const ARG = Object.freeze({
  eventData: Object.freeze({calendarId: 'team@example.com', eventId: '5qk0q4ls6v0pn1u0bqd0b1t0vu'}),
});
const ERROR_TYPES = ['AUTHENTICATION', 'CONFERENCE_SOLUTION_FORBIDDEN', 'PERMANENT',
  'PERMISSION_DENIED', 'TEMPORARY', 'UNKNOWN'];

const VIDEO = Object.freeze({
  entryPointType: 'video',
  uri: 'https://meet.example.com/Room-1',
  label: 'meet.example.com/Room-1',
});

function load(options = {}) {
  return loadAddon(BUILD_DIR, {identityToken: TOKEN, ...options});
}

/** Runs solution `solutionId`'s onCreateFunction against `scripted` fetch answers. */
function create(addon, scripted = [], solutionId = addon.solutions[0].id) {
  for (const answer of scripted) {
    addon.answer(answer);
  }
  return addon.call(addon.onCreateFunctionOf(solutionId), ARG).snapshot();
}

function conference(data) {
  return {status: 200, body: {conferenceData: data}};
}

function assertErrorLogged(addon) {
  assert.ok(addon.logs.some((line) => line.level === 'error'), 'a console.error line');
  assertTokenNotLogged(addon);
}

function assertTokenNotLogged(addon) {
  for (const line of addon.logs) {
    assert.ok(!line.message.includes(TOKEN), `token in log line: ${line.message}`);
  }
}

test('every manifest solution has its onCreateFunction in Code.gs', () => {
  const addon = load();
  assert.ok(addon.solutions.length > 0);
  for (const solution of addon.solutions) {
    assert.match(solution.onCreateFunction, /^[A-Za-z0-9_]*[A-Za-z0-9]$/);
    assert.ok(addon.hasFunction(solution.onCreateFunction), solution.onCreateFunction);
  }
  const names = addon.solutions.map((solution) => solution.onCreateFunction);
  assert.equal(new Set(names).size, names.length);
});

test('every logo of the manifest is hosted by Google, and it is one logo', () => {
  const addon = load();
  const logos = [addon.manifest.addOns.common.logoUrl,
    ...addon.solutions.map((solution) => solution.logoUrl)];
  for (const logo of logos) {
    assert.ok(isGoogleHostedLogo(logo), logo);
  }
  assert.equal(new Set(logos).size, 1);
});

test('the stand-in refuses to load an add-on whose logo is not hosted by Google', (t) => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'addon-logo-'));
  t.after(() => fs.rmSync(copy, {recursive: true, force: true}));
  for (const name of ['appsscript.json', 'Code.gs', 'Config.gs']) {
    fs.copyFileSync(path.join(BUILD_DIR, name), path.join(copy, name));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'appsscript.json'), 'utf8'));
  const foreign = 'https://meet.jit.si/images/favicon.svg';
  manifest.addOns.calendar.conferenceSolution[0].logoUrl = foreign;
  fs.writeFileSync(path.join(copy, 'appsscript.json'), JSON.stringify(manifest));

  assert.throws(() => loadAddon(copy), (error) => error.message.includes(
      `conferenceSolution[0].logoUrl ${JSON.stringify(foreign)} is not hosted by Google`));
});

test('each onCreateFunction sends its own solution id', () => {
  for (const solution of load().solutions) {
    const addon = load();
    create(addon, [conference({entryPoints: [VIDEO]})], solution.id);
    assert.equal(JSON.parse(addon.requests[0].params.payload).solutionId, solution.id);
  }
});

test('the request: POST of the ids as JSON with the identity token, HTTP errors muted', () => {
  const addon = load();
  create(addon, [conference({conferenceId: 'Room-1', entryPoints: [VIDEO]})]);

  assert.equal(addon.requests.length, 1);
  const {url, params} = addon.requests[0];
  assert.equal(url, addon.context.CREATE_CONFERENCE_URL);
  assert.deepEqual(Object.keys(params).sort(),
      ['contentType', 'headers', 'method', 'muteHttpExceptions', 'payload']);
  assert.equal(params.method, 'post');
  assert.equal(params.contentType, 'application/json');
  assert.deepEqual(params.headers, {Authorization: `Bearer ${TOKEN}`});
  assert.equal(params.muteHttpExceptions, true);
  assert.deepEqual(JSON.parse(params.payload), {
    solutionId: addon.solutions[0].id,
    eventData: {calendarId: ARG.eventData.calendarId, eventId: ARG.eventData.eventId},
  });
});

test('the function URL is https (or local) and inside the manifest urlFetchWhitelist', () => {
  const addon = load();
  const url = addon.context.CREATE_CONFERENCE_URL;
  assert.match(url, /^https?:\/\/[^/]+\//);
  assert.ok(allowedByWhitelist(url, addon.manifest.urlFetchWhitelist));
});

test('conferenceData becomes the conference, labels dropped', () => {
  const addon = load();
  const solutionId = addon.solutions[0].id;
  const result = create(addon, [conference({
    conferenceSolution: {key: {type: 'addOn'}, name: 'ignored', iconUri: 'https://e.com/i.png'},
    conferenceId: '85746065432',
    entryPoints: [
      {...VIDEO, meetingCode: '857 4606 5432', passcode: '491823'},
      {entryPointType: 'phone', uri: 'tel:+46850539728,,85746065432#', label: '+46 8 505 397 28',
        regionCode: 'SE', entryPointFeatures: ['toll'], pin: '491823'},
      {entryPointType: 'phone', uri: 'tel:+18335480276,,85746065432#', label: '+1 833 548 0276',
        regionCode: 'US', entryPointFeatures: ['toll_free'], accessCode: '85746065432'},
      {entryPointType: 'sip', uri: 'sip:85746065432@zoomcrc.com', label: 'SIP',
        password: '491823'},
      {entryPointType: 'more', uri: 'https://zoom.example.com/u/abc', entryPointFeatures: []},
    ],
    parameters: {addOnParameters: {parameters: {meetingId: '85746065432', host: 'h1'}}},
    notes: 'Passcode: 491823<br>',
    signature: 'ignored',
  })]);

  assert.deepEqual(result, {
    conferenceSolutionId: solutionId,
    conferenceId: '85746065432',
    entryPoints: [
      {entryPointType: 'video', uri: VIDEO.uri, meetingCode: '857 4606 5432', passcode: '491823'},
      {entryPointType: 'phone', uri: 'tel:+46850539728,,85746065432#', regionCode: 'SE',
        entryPointFeatures: ['toll'], pin: '491823'},
      {entryPointType: 'phone', uri: 'tel:+18335480276,,85746065432#', regionCode: 'US',
        entryPointFeatures: ['toll_free'], accessCode: '85746065432'},
      {entryPointType: 'sip', uri: 'sip:85746065432@zoomcrc.com', password: '491823'},
      {entryPointType: 'more', uri: 'https://zoom.example.com/u/abc'},
    ],
    parameters: {addOnParameters: {parameters: {meetingId: '85746065432', host: 'h1'}}},
    notes: 'Passcode: 491823<br>',
  });
  assert.deepEqual(addon.logs, []);
});

test('a minimal conference: one video entry point, nothing else', () => {
  const addon = load();
  const result = create(addon, [conference({entryPoints: [VIDEO]})]);
  assert.deepEqual(result, {
    conferenceSolutionId: addon.solutions[0].id,
    entryPoints: [{entryPointType: 'video', uri: VIDEO.uri}],
  });
});

test('conferenceError answers become that error type', () => {
  for (const type of ERROR_TYPES) {
    const addon = load();
    assert.deepEqual(create(addon, [{status: 200, body: {conferenceError: {type}}}]),
        {error: {type}}, type);
  }
});

test('an AUTHENTICATION error keeps its authenticationUrl', () => {
  const addon = load();
  const authenticationUrl = 'https://script.google.com/macros/d/x/usercallback?state=s';
  const result = create(addon,
      [{status: 200, body: {conferenceError: {type: 'AUTHENTICATION', authenticationUrl}}}]);
  assert.deepEqual(result, {error: {type: 'AUTHENTICATION', authenticationUrl}});
});

test('an unknown conference error type becomes UNKNOWN', () => {
  for (const type of ['PERMANENT_FOR_USER', 'temporary', 'toString', '__proto__', 7, null]) {
    const addon = load();
    assert.deepEqual(create(addon, [{status: 200, body: {conferenceError: {type}}}]),
        {error: {type: 'UNKNOWN'}}, String(type));
    assertErrorLogged(addon);
  }
});

test('fetch throwing (DNS, timeout, allowlist) becomes TEMPORARY; the token is not logged',
    () => {
      const addon = load();
      const failure = new Error(`Exception: Address unavailable (Authorization: Bearer ${TOKEN})`);
      assert.deepEqual(create(addon, [{throws: failure}]), {error: {type: 'TEMPORARY'}});
      assertErrorLogged(addon);
      assert.ok(addon.logs.some((line) => line.message.includes('Address unavailable')));
    });

test('no identity token becomes TEMPORARY without a request', () => {
  const throwing = load({identityTokenError: new Error('token service down')});
  assert.deepEqual(create(throwing), {error: {type: 'TEMPORARY'}});
  assert.equal(throwing.requests.length, 0);
  assertErrorLogged(throwing);

  const empty = load({identityToken: ''});
  assert.deepEqual(create(empty), {error: {type: 'TEMPORARY'}});
  assert.equal(empty.requests.length, 0);
});

test('non-200 answers become TEMPORARY', () => {
  const answers = [
    {status: 401, body: {error: {code: 401, message: 'missing or invalid identity token'}}},
    {status: 413, body: {error: {code: 413, message: 'request too large'}}},
    {status: 500, body: {error: {code: 500, message: 'internal error'}}},
    {status: 503, body: '<html>Service Unavailable</html>'},
    {status: 201, body: {conferenceData: {entryPoints: [VIDEO]}}},
    {status: 204, body: ''},
  ];
  for (const answer of answers) {
    const addon = load();
    assert.deepEqual(create(addon, [answer]), {error: {type: 'TEMPORARY'}}, String(answer.status));
    assertErrorLogged(addon);
  }
});

test('200 answers that are not JSON or hold neither or both keys become UNKNOWN', () => {
  const bodies = ['<html>ok</html>', '', 'null', '[]', '"conferenceData"', {},
    {data: {entryPoints: [VIDEO]}},
    {conferenceData: {entryPoints: [VIDEO]}, conferenceError: {type: 'TEMPORARY'}}];
  for (const body of bodies) {
    const addon = load();
    assert.deepEqual(create(addon, [{status: 200, body}]), {error: {type: 'UNKNOWN'}},
        JSON.stringify(body));
    assertErrorLogged(addon);
  }
});

test('conferenceData that Apps Script refuses becomes UNKNOWN', () => {
  const more = {entryPointType: 'more', uri: 'https://e.com/more'};
  const phone = {entryPointType: 'phone', uri: 'tel:+123456'};
  const refused = {
    'two video entry points': {entryPoints: [VIDEO, VIDEO]},
    'only a more entry point': {entryPoints: [more]},
    'no entry point': {conferenceId: 'x'},
    'video with a tel: uri': {entryPoints: [{...VIDEO, uri: 'tel:+123456'}]},
    'phone with an https uri': {entryPoints: [VIDEO, {...phone, uri: 'https://e.com'}]},
    'toll on video': {entryPoints: [{...VIDEO, entryPointFeatures: ['toll']}]},
    'toll and toll_free': {entryPoints: [{...phone, entryPointFeatures: ['toll', 'toll_free']}]},
    'regionCode on video': {entryPoints: [{...VIDEO, regionCode: 'SE'}]},
    'unknown entry point type': {entryPoints: [{...VIDEO, entryPointType: 'hangout'}]},
    'unknown feature': {entryPoints: [{...phone, entryPointFeatures: ['free']}]},
    'entry point without uri': {entryPoints: [{entryPointType: 'video'}]},
    'uri too long': {entryPoints: [{...VIDEO, uri: 'https://e.com/' + 'r'.repeat(1300)}]},
    'pin too long': {entryPoints: [{...phone, pin: '1'.repeat(129)}]},
    'conferenceId too long': {conferenceId: 'c'.repeat(513), entryPoints: [VIDEO]},
    'notes too long': {notes: 'n'.repeat(2049), entryPoints: [VIDEO]},
    'parameter value not a string': {entryPoints: [VIDEO],
      parameters: {addOnParameters: {parameters: {n: 5}}}},
    'parameter key too long': {entryPoints: [VIDEO],
      parameters: {addOnParameters: {parameters: {['k'.repeat(51)]: 'v'}}}},
    'parameters not a map': {entryPoints: [VIDEO], parameters: {addOnParameters: {parameters: []}}},
    'entryPoints not a list': {entryPoints: VIDEO},
    'conferenceData not an object': 'room-1',
  };
  for (const [what, data] of Object.entries(refused)) {
    const addon = load();
    assert.deepEqual(create(addon, [conference(data)]), {error: {type: 'UNKNOWN'}}, what);
    assertErrorLogged(addon);
  }
});

test('a trigger argument without eventData becomes UNKNOWN without a request', () => {
  for (const arg of [undefined, {}, {eventData: null}]) {
    const addon = load();
    const name = addon.solutions[0].onCreateFunction;
    assert.deepEqual(addon.call(name, arg).snapshot(), {error: {type: 'UNKNOWN'}});
    assert.equal(addon.requests.length, 0);
    assertErrorLogged(addon);
  }
});
