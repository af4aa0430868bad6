/** The stand-in enforces Apps Script's rules: checks of the checker. No generated add-on needed. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  LIMITS,
  allowedByWhitelist,
  checkManifest,
  createConferenceDataService,
  createUrlFetchApp,
  isGoogleHostedLogo,
} = require('./apps_script_standin.js');
const LOGO_URLS = require('./logo_urls.json');

const CDS = createConferenceDataService({solutionIds: ['1', '2']});
const INVALID = /Invalid argument: /;

function video(uri = 'https://meet.example.com/room') {
  return CDS.newEntryPoint().setEntryPointType(CDS.EntryPointType.VIDEO).setUri(uri);
}

function phone(uri = 'tel:+46812345678,,123456#') {
  return CDS.newEntryPoint().setEntryPointType(CDS.EntryPointType.PHONE).setUri(uri);
}

function entryPoint(type, uri) {
  return CDS.newEntryPoint().setEntryPointType(CDS.EntryPointType[type]).setUri(uri);
}

function builder() {
  return CDS.newConferenceDataBuilder().setConferenceSolutionId('1');
}

function parameter(key = 'meetingId', value = '42') {
  return CDS.newConferenceParameter().setKey(key).setValue(value);
}

function errorOf(type) {
  return CDS.newConferenceError().setConferenceErrorType(CDS.ConferenceErrorType[type]);
}

test('a full conference builds into a REST-shaped snapshot', () => {
  const data = builder()
      .setConferenceId('conf-1')
      .addEntryPoint(video().setPasscode('9876').setMeetingCode('123 456'))
      .addEntryPoint(phone().setPin('1234').setRegionCode('SE')
          .addFeature(CDS.EntryPointFeature.TOLL_FREE))
      .addEntryPoint(entryPoint('SIP', 'sip:123@sip.example.com').setAccessCode('55'))
      .addEntryPoint(entryPoint('MORE', 'https://example.com/more').setPassword('pw'))
      .addConferenceParameter(parameter())
      .setNotes('<b>Dial in</b>')
      .build();

  assert.deepEqual(data.snapshot(), {
    conferenceSolutionId: '1',
    conferenceId: 'conf-1',
    entryPoints: [
      {entryPointType: 'video', uri: 'https://meet.example.com/room', meetingCode: '123 456',
        passcode: '9876'},
      {entryPointType: 'phone', uri: 'tel:+46812345678,,123456#', pin: '1234', regionCode: 'SE',
        entryPointFeatures: ['toll_free']},
      {entryPointType: 'sip', uri: 'sip:123@sip.example.com', accessCode: '55'},
      {entryPointType: 'more', uri: 'https://example.com/more', password: 'pw'},
    ],
    parameters: {addOnParameters: {parameters: {meetingId: '42'}}},
    notes: '<b>Dial in</b>',
  });
  assert.deepEqual(JSON.parse(data.printJson()), data.snapshot());
});

test('an error-only ConferenceData needs nothing else', () => {
  for (const type of Object.keys(CDS.ConferenceErrorType)) {
    const data = CDS.newConferenceDataBuilder().setError(errorOf(type)).build();
    assert.deepEqual(data.snapshot(), {error: {type}});
  }
});

test('an AUTHENTICATION error keeps an http(s) authenticationUrl of at most 1800 characters',
    () => {
      const url = 'https://example.com/login?state=' + 'x'.repeat(LIMITS.authenticationUrl - 32);
      const data = CDS.newConferenceDataBuilder()
          .setError(errorOf('AUTHENTICATION').setAuthenticationUrl(url)).build();
      assert.deepEqual(data.snapshot(), {error: {type: 'AUTHENTICATION', authenticationUrl: url}});
      assert.throws(() => errorOf('AUTHENTICATION').setAuthenticationUrl(url + 'x'), INVALID);
      assert.throws(() => errorOf('AUTHENTICATION').setAuthenticationUrl('ftp://x/'), INVALID);
    });

test('an error needs its type', () => {
  assert.throws(() => CDS.newConferenceDataBuilder().setError(CDS.newConferenceError()).build(),
      INVALID);
});

test('setConferenceId takes at most 512 characters', () => {
  CDS.newConferenceDataBuilder().setConferenceId('c'.repeat(LIMITS.conferenceId));
  assert.throws(
      () => CDS.newConferenceDataBuilder().setConferenceId('c'.repeat(LIMITS.conferenceId + 1)),
      INVALID);
});

test('setConferenceSolutionId takes only ids of the manifest', () => {
  CDS.newConferenceDataBuilder().setConferenceSolutionId('2');
  assert.throws(() => CDS.newConferenceDataBuilder().setConferenceSolutionId('3'), INVALID);
  assert.throws(() => CDS.newConferenceDataBuilder().setConferenceSolutionId(1), INVALID);
  const long = createConferenceDataService({solutionIds: ['s'.repeat(513)]});
  assert.throws(() => long.newConferenceDataBuilder().setConferenceSolutionId('s'.repeat(513)),
      INVALID);
});

test('a conference needs its solution id and an entry point', () => {
  assert.throws(() => CDS.newConferenceDataBuilder().addEntryPoint(video()).build(), INVALID);
  assert.throws(() => builder().setConferenceId('c').build(), INVALID);
});

test('at most 300 entry points', () => {
  const full = builder().addEntryPoint(video());
  for (let i = 1; i < LIMITS.entryPoints; i += 1) {
    full.addEntryPoint(phone(`tel:+4681234${String(i).padStart(4, '0')}`));
  }
  assert.equal(full.build().snapshot().entryPoints.length, LIMITS.entryPoints);
  assert.throws(() => full.addEntryPoint(phone()), INVALID);
});

test('at most 300 conference parameters, key <= 50 and value <= 1024 characters', () => {
  const full = builder().addEntryPoint(video());
  for (let i = 0; i < LIMITS.parameters; i += 1) {
    full.addConferenceParameter(parameter(`k${i}`, 'v'));
  }
  assert.throws(() => full.addConferenceParameter(parameter('one-too-many', 'v')), INVALID);
  parameter('k'.repeat(LIMITS.parameterKey), 'v'.repeat(LIMITS.parameterValue));
  assert.throws(() => parameter('k'.repeat(LIMITS.parameterKey + 1)), INVALID);
  assert.throws(() => parameter('k', 'v'.repeat(LIMITS.parameterValue + 1)), INVALID);
  assert.throws(() => parameter('k', 42), INVALID);
  assert.throws(() => builder().addConferenceParameter(CDS.newConferenceParameter().setKey('k')),
      INVALID);
});

test('setNotes takes at most 2048 characters', () => {
  builder().setNotes('n'.repeat(LIMITS.notes));
  assert.throws(() => builder().setNotes('n'.repeat(LIMITS.notes + 1)), INVALID);
});

test('EntryPoint has no label setter: calling one is a TypeError', () => {
  const point = video();
  assert.equal('setLabel' in point, false);
  assert.throws(() => point.setLabel('meet.example.com/room'), TypeError);
  assert.throws(() => {
    point.label = 'meet.example.com/room';
  }, TypeError);
});

test('uri: 1..1300 characters, scheme by entry point type', () => {
  video('https://e.com/' + 'r'.repeat(LIMITS.uri - 14));
  assert.throws(() => video('https://e.com/' + 'r'.repeat(LIMITS.uri - 13)), INVALID);
  assert.throws(() => video(''), INVALID);
  const accepted = [['VIDEO', 'http://e.com/r'], ['MORE', 'https://e.com/m'],
    ['PHONE', 'tel:+1234'], ['SIP', 'sip:r@e.com']];
  for (const [type, uri] of accepted) {
    builder().addEntryPoint(video()).addEntryPoint(entryPoint(type, uri));
  }
  const refused = [['VIDEO', 'tel:+1234'], ['MORE', 'sip:r@e.com'], ['PHONE', 'https://e.com'],
    ['SIP', 'https://e.com'], ['VIDEO', 'javascript:alert(1)']];
  for (const [type, uri] of refused) {
    assert.throws(() => builder().addEntryPoint(entryPoint(type, uri)), INVALID, `${type} ${uri}`);
  }
});

test('codes take at most 128 characters', () => {
  for (const setter of ['setAccessCode', 'setMeetingCode', 'setPasscode', 'setPassword',
    'setPin']) {
    video()[setter]('1'.repeat(LIMITS.code));
    assert.throws(() => video()[setter]('1'.repeat(LIMITS.code + 1)), INVALID, setter);
  }
});

test('features and regionCode are for phone entry points only, never TOLL and TOLL_FREE', () => {
  assert.throws(() => builder().addEntryPoint(video().addFeature(CDS.EntryPointFeature.TOLL)),
      INVALID);
  assert.throws(() => builder().addEntryPoint(video().setRegionCode('SE')), INVALID);
  assert.throws(() => builder().addEntryPoint(phone()
      .addFeature(CDS.EntryPointFeature.TOLL).addFeature(CDS.EntryPointFeature.TOLL_FREE)),
  INVALID);
  builder().addEntryPoint(phone().addFeature(CDS.EntryPointFeature.TOLL).setRegionCode('SE'));
});

test('build() counts entry points: video, sip and more at most once; not only more', () => {
  for (const [type, uri] of [['VIDEO', 'https://e.com/v'], ['SIP', 'sip:a@e.com'],
    ['MORE', 'https://e.com/m']]) {
    const twice = builder().addEntryPoint(phone()).addEntryPoint(entryPoint(type, uri))
        .addEntryPoint(entryPoint(type, uri));
    assert.throws(() => twice.build(), INVALID, type);
  }
  assert.throws(() => builder().addEntryPoint(entryPoint('MORE', 'https://e.com/m')).build(),
      INVALID);
  const phones = builder().addEntryPoint(phone()).addEntryPoint(phone()).build();
  assert.equal(phones.snapshot().entryPoints.length, 2);
});

test('build() checks entry points again after they changed', () => {
  const point = video();
  const data = builder().addEntryPoint(point);
  point.setEntryPointType(CDS.EntryPointType.PHONE);
  assert.throws(() => data.build(), INVALID);
});

test('enum arguments must be the service\'s enum values', () => {
  assert.throws(() => CDS.newEntryPoint().setEntryPointType('VIDEO'), INVALID);
  assert.throws(() => phone().addFeature('toll'), INVALID);
  assert.throws(() => CDS.newConferenceError().setConferenceErrorType('TEMPORARY'), INVALID);
  assert.throws(() => CDS.newEntryPoint().setEntryPointType(CDS.EntryPointFeature.TOLL), INVALID);
  assert.throws(() => builder().addEntryPoint({}), INVALID);
});

const LOGO = 'https://lh3.googleusercontent.com/listing-icon=s32';
const INVALID_MANIFEST = /Invalid manifest appsscript\.json: /;

function manifestWith({commonLogo = LOGO, solutionLogo = LOGO, solution = {}} = {}) {
  return {
    addOns: {
      common: {name: 'Meetings', logoUrl: commonLogo},
      calendar: {
        conferenceSolution: [
          {id: '1', name: 'Meeting', logoUrl: LOGO, onCreateFunction: 'onCreateConference_1'},
          {id: '2', name: 'Recorded', logoUrl: solutionLogo, onCreateFunction: 'onCreate_2',
            ...solution},
        ],
      },
    },
  };
}

test('logos on Google hosts are accepted, in the solutions and addOns.common', () => {
  assert.ok(LOGO_URLS.accepted.length >= 5);
  for (const url of LOGO_URLS.accepted) {
    assert.equal(isGoogleHostedLogo(url), true, url);
    checkManifest(manifestWith({commonLogo: url, solutionLogo: url}));
  }
});

test('a logo off Google hosts is refused, in a solution or in addOns.common', () => {
  for (const url of [...LOGO_URLS.refused, null, 42]) {
    const shown = JSON.stringify(url);
    assert.equal(isGoogleHostedLogo(url), false, shown);
    assert.throws(() => checkManifest(manifestWith({commonLogo: url})),
        /addOns\.common\.logoUrl .* is not hosted by Google/, shown);
    assert.throws(() => checkManifest(manifestWith({solutionLogo: url})),
        INVALID_MANIFEST, shown);
  }
  const noCommon = manifestWith();
  delete noCommon.addOns.common;
  assert.throws(() => checkManifest(noCommon), /addOns\.common\.logoUrl undefined/);
  const lookalike = 'https://evilgoogleusercontent.com/l.png';
  assert.throws(() => checkManifest(manifestWith({solutionLogo: lookalike})),
      (error) => error.message.includes(
          `conferenceSolution[1].logoUrl ${JSON.stringify(lookalike)} is not hosted by Google`));
});

test('a manifest solution needs its id, name, logoUrl and onCreateFunction, ids unique', () => {
  for (const field of ['id', 'name', 'logoUrl', 'onCreateFunction']) {
    assert.throws(() => checkManifest(manifestWith({solution: {[field]: ''}})),
        new RegExp(`conferenceSolution\\[1\\]\\.${field} is required`), field);
  }
  assert.throws(() => checkManifest(manifestWith({solution: {id: '1'}})), /not unique/);
  assert.throws(() => checkManifest({addOns: {calendar: {conferenceSolution: []}}}),
      INVALID_MANIFEST);
});

test('UrlFetchApp matches the allowlist as Apps Script does', () => {
  const prefix = 'https://r-p.cloudfunctions.net/create-conference';
  assert.equal(allowedByWhitelist(prefix, [prefix]), true);
  assert.equal(allowedByWhitelist(prefix + '?x=1', [prefix]), true);
  assert.equal(allowedByWhitelist(prefix + '/sub', [prefix]), true);
  assert.equal(allowedByWhitelist(prefix + '-evil', [prefix]), false);
  assert.equal(allowedByWhitelist('https://r-p.cloudfunctions.net/other', [prefix]), false);
  assert.equal(allowedByWhitelist(prefix, ['https://r-p.cloudfunctions.net/']), true);
});

test('UrlFetchApp refuses URLs off the allowlist and needs the external_request scope', () => {
  const url = 'https://r-p.cloudfunctions.net/create-conference';
  const scopes = ['https://www.googleapis.com/auth/script.external_request'];
  const fetcher = createUrlFetchApp({whitelist: [url], scopes});
  assert.throws(() => fetcher.service.fetch('https://elsewhere.example.com/x'), /urlFetchWhitelist/);
  const noScope = createUrlFetchApp({whitelist: [url], scopes: []});
  assert.throws(() => noScope.service.fetch(url), /permission/);
  assert.equal(fetcher.requests.length, 0);
});

test('UrlFetchApp throws on status >= 400 unless muteHttpExceptions', () => {
  const url = 'https://r-p.cloudfunctions.net/create-conference';
  const scopes = ['https://www.googleapis.com/auth/script.external_request'];
  const fetcher = createUrlFetchApp({whitelist: [url], scopes});
  fetcher.answer({status: 500, body: {error: {code: 500, message: 'x'}}});
  assert.throws(() => fetcher.service.fetch(url, {method: 'post'}), /returned code 500/);
  fetcher.answer({status: 500, body: 'oops'});
  const response = fetcher.service.fetch(url, {method: 'post', muteHttpExceptions: true});
  assert.equal(response.getResponseCode(), 500);
  assert.equal(response.getContentText(), 'oops');
  assert.equal(fetcher.requests.length, 2);
});
