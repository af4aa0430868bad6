/**
 * Answers of the create-conference function (hand-written or captured over HTTP), one JSON
 * file each in $SHIM_FIXTURES_DIR: {"name", "solutionId", "status", "body"}. Each is fed to
 * the generated shim as the fetch answer; what Calendar gets must be:
 * - status 200 with conferenceData: the same conference (ids, entry points, parameters,
 *   notes) minus entry point labels, under the fixture's solution id;
 * - status 200 with conferenceError: that error type (UNKNOWN for a type Apps Script lacks);
 * - any other status: TEMPORARY; a 200 holding neither (or both) keys: UNKNOWN.
 * Skipped when SHIM_FIXTURES_DIR is not set.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const assert = require('node:assert/strict');
const {addonBuildDir, loadAddon} = require('./apps_script_standin.js');

const FIXTURES_DIR = process.env.SHIM_FIXTURES_DIR;
const ARG = Object.freeze({eventData: Object.freeze({calendarId: 'c@example.com', eventId: 'e1'})});
const ERROR_TYPES = ['AUTHENTICATION', 'CONFERENCE_SOLUTION_FORBIDDEN', 'PERMANENT',
  'PERMISSION_DENIED', 'TEMPORARY', 'UNKNOWN'];

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function has(object, key) {
  return isObject(object) && Object.prototype.hasOwnProperty.call(object, key);
}

/** A REST entry point as Apps Script can carry it: no label, no empty or null fields. */
function withoutLabel(entryPoint) {
  const kept = {};
  for (const [key, value] of Object.entries(entryPoint)) {
    const empty = value === null || value === undefined ||
        (Array.isArray(value) && value.length === 0);
    if (key !== 'label' && !empty) {
      kept[key] = value;
    }
  }
  return kept;
}

/** What Calendar should get for REST conferenceData `data` of solution `solutionId`. */
function expectedConference(solutionId, data) {
  const expected = {conferenceSolutionId: solutionId};
  if (data.conferenceId != null) {
    expected.conferenceId = data.conferenceId;
  }
  const entryPoints = (data.entryPoints || []).map(withoutLabel);
  if (entryPoints.length > 0) {
    expected.entryPoints = entryPoints;
  }
  const parameters = data.parameters && data.parameters.addOnParameters &&
      data.parameters.addOnParameters.parameters;
  if (parameters && Object.keys(parameters).length > 0) {
    expected.parameters = {addOnParameters: {parameters: {...parameters}}};
  }
  if (data.notes != null) {
    expected.notes = data.notes;
  }
  return expected;
}

function expectedResult(fixture) {
  if (fixture.status !== 200) {
    return {error: {type: 'TEMPORARY'}};
  }
  const {body} = fixture;
  if (has(body, 'conferenceData') === has(body, 'conferenceError')) {
    return {error: {type: 'UNKNOWN'}};
  }
  if (has(body, 'conferenceData')) {
    return expectedConference(fixture.solutionId, body.conferenceData);
  }
  const error = body.conferenceError;
  if (!isObject(error) || !ERROR_TYPES.includes(error.type)) {
    return {error: {type: 'UNKNOWN'}};
  }
  const expected = {error: {type: error.type}};
  if (error.type === 'AUTHENTICATION' && error.authenticationUrl != null) {
    expected.error.authenticationUrl = error.authenticationUrl;
  }
  return expected;
}

function readFixtures(dir) {
  return fs.readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((file) => ({file, fixture: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))}));
}

if (!FIXTURES_DIR) {
  test('fixture answers', {skip: 'SHIM_FIXTURES_DIR is not set'}, () => {});
} else {
  const buildDir = addonBuildDir();
  const fixtures = readFixtures(FIXTURES_DIR);

  test('the fixture folder holds answers', () => {
    assert.ok(fixtures.length > 0, `no *.json in ${FIXTURES_DIR}`);
  });

  for (const {file, fixture} of fixtures) {
    test(`fixture ${file}: ${fixture.name}`, () => {
      assert.equal(typeof fixture.solutionId, 'string', 'solutionId');
      assert.equal(typeof fixture.status, 'number', 'status');
      const addon = loadAddon(buildDir);
      addon.answer({status: fixture.status, body: fixture.body});

      const result = addon.call(addon.onCreateFunctionOf(fixture.solutionId), ARG).snapshot();

      assert.deepEqual(result, expectedResult(fixture));
      assert.equal(addon.requests.length, 1);
      assert.equal(JSON.parse(addon.requests[0].params.payload).solutionId, fixture.solutionId);
    });
  }
}
