/**
 * An Apps Script stand-in for Node: runs the generated add-on (Config.gs + Code.gs) in a `vm`
 * context with the few services the shim uses.
 *
 * - ConferenceDataService enforces Apps Script's documented rules (ConferenceDataBuilder,
 *   EntryPoint, ConferenceParameter, ConferenceError reference pages; Calendar v3
 *   ConferenceData): setConferenceId <= 512, setConferenceSolutionId <= 512 and one of the
 *   manifest's ids, addEntryPoint / addConferenceParameter <= 300 each, setNotes <= 2048,
 *   parameter key <= 50 and value <= 1024, uri 1..1300, codes <= 128, authenticationUrl
 *   http(s) <= 1800. EntryPoint has no label setter (calling one is a TypeError, as for any
 *   missing method). Enum arguments must be the service's enum values, not strings.
 *   Entry points are checked when added and again by build(): type and uri set; uri scheme
 *   http(s) for video and more, tel for phone, sip for sip; features (TOLL / TOLL_FREE) and
 *   regionCode on phone only, never both features. build() also checks the counts (video,
 *   sip, more: at most 1 each; not only `more`; at least one entry point and the solution id
 *   unless the data holds an error). An error-only ConferenceData needs nothing else.
 * - UrlFetchApp.fetch records every request, answers from a script (or throws), refuses URLs
 *   outside the manifest's urlFetchWhitelist and, without muteHttpExceptions, throws on
 *   status >= 400 like the real one.
 * - ScriptApp.getIdentityToken returns the configured token; console records its lines.
 * - The manifest (checkManifest, run by loadAddon): every conferenceSolution has its id,
 *   name, logoUrl and onCreateFunction (Calendar manifest reference), and every logoUrl
 *   (the solutions' and addOns.common's) is hosted by Google, as Google's conferencing guide
 *   requires: https on *.googleusercontent.com, *.gstatic.com or storage.googleapis.com,
 *   with a path (the rule of shared/logos.py; cases in logo_urls.json). What Apps Script
 *   itself does with another host is not documented: the stand-in refuses to load it.
 *
 * Built ConferenceData offers printJson() (as in Apps Script) and snapshot(): a plain
 * object in Calendar v3 REST shape ({conferenceSolutionId, conferenceId, entryPoints,
 * parameters: {addOnParameters: {parameters}}, notes, error: {type, authenticationUrl}}),
 * holding only the fields that were set.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const LIMITS = Object.freeze({
  conferenceId: 512,
  conferenceSolutionId: 512,
  entryPoints: 300,
  parameters: 300,
  notes: 2048,
  parameterKey: 50,
  parameterValue: 1024,
  uri: 1300,
  code: 128,
  authenticationUrl: 1800,
});

const URI_SCHEMES = Object.freeze({
  VIDEO: {pattern: /^https?:/i, text: 'http: or https:'},
  MORE: {pattern: /^https?:/i, text: 'http: or https:'},
  PHONE: {pattern: /^tel:/i, text: 'tel:'},
  SIP: {pattern: /^sip:/i, text: 'sip:'},
});

const AT_MOST_ONE = Object.freeze(['VIDEO', 'SIP', 'MORE']);

/** A logo URL Calendar can show: the rule of shared/logos.py (no port, user name or '#'). */
const GOOGLE_HOSTED_LOGO = new RegExp('^https://(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+' +
    '(?:googleusercontent|gstatic)\\.com|storage\\.googleapis\\.com)/' +
    '[a-z0-9._~/%=+,;:@!$&()*?-]+$', 'i');

class EnumValue {
  constructor(enumName, name) {
    this.enumName = enumName;
    this.name = name;
    Object.freeze(this);
  }

  toString() {
    return this.name;
  }

  toJSON() {
    return this.name;
  }
}

function makeEnum(enumName, names) {
  const values = Object.create(null);
  for (const name of names) {
    values[name] = new EnumValue(enumName, name);
  }
  return Object.freeze(values);
}

const EntryPointType = makeEnum('EntryPointType', ['VIDEO', 'PHONE', 'SIP', 'MORE']);
const EntryPointFeature = makeEnum('EntryPointFeature', ['TOLL', 'TOLL_FREE']);
const ConferenceErrorType = makeEnum('ConferenceErrorType', [
  'AUTHENTICATION',
  'CONFERENCE_SOLUTION_FORBIDDEN',
  'PERMANENT',
  'PERMISSION_DENIED',
  'TEMPORARY',
  'UNKNOWN',
]);

/** Apps Script throws `Exception: Invalid argument: ...`; so does the stand-in. */
function invalid(message) {
  return new Error('Invalid argument: ' + message);
}

function requireString(value, field, max, {allowEmpty = false} = {}) {
  if (typeof value !== 'string') {
    throw invalid(`${field} must be a string, got ${typeof value}`);
  }
  if (!allowEmpty && value.length === 0) {
    throw invalid(`${field} must not be empty`);
  }
  if (max !== undefined && value.length > max) {
    throw invalid(`${field} is longer than ${max} characters (${value.length})`);
  }
}

function requireMember(enumeration, value, field) {
  if (!(value instanceof EnumValue) || enumeration[value.name] !== value) {
    throw invalid(`${field} must be a value of ConferenceDataService.` +
        `${Object.values(enumeration)[0].enumName}, got ${String(value)}`);
  }
}

// Internal state lives in WeakMaps so that the objects the shim sees offer exactly the
// methods of Apps Script's classes (and nothing to poke at).
const entryPointState = new WeakMap();
const parameterState = new WeakMap();
const errorState = new WeakMap();

class EntryPoint {
  constructor() {
    entryPointState.set(this, {type: null, uri: null, codes: {}, regionCode: null, features: []});
    Object.freeze(this);
  }

  setEntryPointType(entryPointType) {
    requireMember(EntryPointType, entryPointType, 'entryPointType');
    entryPointState.get(this).type = entryPointType.name;
    return this;
  }

  setUri(uri) {
    requireString(uri, 'uri', LIMITS.uri);
    entryPointState.get(this).uri = uri;
    return this;
  }

  setAccessCode(accessCode) {
    return setCode(this, 'accessCode', accessCode);
  }

  setMeetingCode(meetingCode) {
    return setCode(this, 'meetingCode', meetingCode);
  }

  setPasscode(passcode) {
    return setCode(this, 'passcode', passcode);
  }

  setPassword(password) {
    return setCode(this, 'password', password);
  }

  setPin(pin) {
    return setCode(this, 'pin', pin);
  }

  setRegionCode(regionCode) {
    requireString(regionCode, 'regionCode');
    entryPointState.get(this).regionCode = regionCode;
    return this;
  }

  addFeature(feature) {
    requireMember(EntryPointFeature, feature, 'feature');
    const state = entryPointState.get(this);
    if (!state.features.includes(feature.name)) {
      state.features.push(feature.name);
    }
    return this;
  }
}

function setCode(entryPoint, field, value) {
  requireString(value, field, LIMITS.code);
  entryPointState.get(entryPoint).codes[field] = value;
  return entryPoint;
}

function checkEntryPoint(entryPoint) {
  const state = entryPointState.get(entryPoint);
  if (state === undefined) {
    throw invalid('entryPoint must come from ConferenceDataService.newEntryPoint()');
  }
  if (state.type === null) {
    throw invalid('an entry point needs its entryPointType');
  }
  if (state.uri === null) {
    throw invalid(`a ${state.type} entry point needs its uri`);
  }
  const scheme = URI_SCHEMES[state.type];
  if (!scheme.pattern.test(state.uri)) {
    throw invalid(`the uri of a ${state.type} entry point must start with ${scheme.text}`);
  }
  if (state.type !== 'PHONE' && state.features.length > 0) {
    throw invalid(`features are for phone entry points only, not ${state.type}`);
  }
  if (state.features.includes('TOLL') && state.features.includes('TOLL_FREE')) {
    throw invalid('an entry point is TOLL or TOLL_FREE, not both');
  }
  if (state.type !== 'PHONE' && state.regionCode !== null) {
    throw invalid(`regionCode is for phone entry points only, not ${state.type}`);
  }
  return state;
}

function entryPointSnapshot(state) {
  const snapshot = {entryPointType: state.type.toLowerCase(), uri: state.uri};
  for (const field of ['accessCode', 'meetingCode', 'passcode', 'password', 'pin']) {
    if (state.codes[field] !== undefined) {
      snapshot[field] = state.codes[field];
    }
  }
  if (state.regionCode !== null) {
    snapshot.regionCode = state.regionCode;
  }
  if (state.features.length > 0) {
    snapshot.entryPointFeatures = state.features.map((name) => name.toLowerCase());
  }
  return snapshot;
}

class ConferenceParameter {
  constructor() {
    parameterState.set(this, {key: null, value: null});
    Object.freeze(this);
  }

  setKey(key) {
    requireString(key, 'parameter key', LIMITS.parameterKey);
    parameterState.get(this).key = key;
    return this;
  }

  setValue(value) {
    requireString(value, 'parameter value', LIMITS.parameterValue, {allowEmpty: true});
    parameterState.get(this).value = value;
    return this;
  }
}

function checkParameter(parameter) {
  const state = parameterState.get(parameter);
  if (state === undefined) {
    throw invalid('conferenceParameter must come from ' +
        'ConferenceDataService.newConferenceParameter()');
  }
  if (state.key === null || state.value === null) {
    throw invalid('a conference parameter needs its key and its value');
  }
  return state;
}

class ConferenceError {
  constructor() {
    errorState.set(this, {type: null, authenticationUrl: null});
    Object.freeze(this);
  }

  setConferenceErrorType(conferenceErrorType) {
    requireMember(ConferenceErrorType, conferenceErrorType, 'conferenceErrorType');
    errorState.get(this).type = conferenceErrorType.name;
    return this;
  }

  setAuthenticationUrl(authenticationUrl) {
    requireString(authenticationUrl, 'authenticationUrl', LIMITS.authenticationUrl);
    if (!/^https?:\/\/[^/?#\s]+/i.test(authenticationUrl)) {
      throw invalid('authenticationUrl must be an http or https URL');
    }
    errorState.get(this).authenticationUrl = authenticationUrl;
    return this;
  }
}

function checkError(error) {
  const state = errorState.get(error);
  if (state === undefined) {
    throw invalid('conferenceError must come from ConferenceDataService.newConferenceError()');
  }
  if (state.type === null) {
    throw invalid('a conference error needs its conferenceErrorType');
  }
  return state;
}

class ConferenceData {
  #snapshot;

  constructor(snapshot) {
    this.#snapshot = JSON.stringify(snapshot);
    Object.freeze(this);
  }

  /** As Apps Script's ConferenceData.printJson(): the data as a JSON string. */
  printJson() {
    return this.#snapshot;
  }

  /** The data as a plain object (a fresh copy on each call), for assertions. */
  snapshot() {
    return JSON.parse(this.#snapshot);
  }
}

/**
 * A ConferenceDataService whose setConferenceSolutionId accepts only `solutionIds` (the ids
 * of the manifest's conferenceSolution entries).
 */
function createConferenceDataService({solutionIds}) {
  const knownIds = new Set(solutionIds);

  class ConferenceDataBuilder {
    #conferenceId = null;
    #solutionId = null;
    #entryPoints = [];
    #parameters = [];
    #notes = null;
    #error = null;

    constructor() {
      Object.freeze(this);
    }

    setConferenceId(conferenceId) {
      requireString(conferenceId, 'conferenceId', LIMITS.conferenceId);
      this.#conferenceId = conferenceId;
      return this;
    }

    setConferenceSolutionId(conferenceSolutionId) {
      requireString(conferenceSolutionId, 'conferenceSolutionId', LIMITS.conferenceSolutionId);
      if (!knownIds.has(conferenceSolutionId)) {
        throw invalid(`conferenceSolutionId ${JSON.stringify(conferenceSolutionId)} is not a ` +
            `conference solution of the manifest (${[...knownIds].join(', ')})`);
      }
      this.#solutionId = conferenceSolutionId;
      return this;
    }

    addEntryPoint(entryPoint) {
      checkEntryPoint(entryPoint);
      if (this.#entryPoints.length >= LIMITS.entryPoints) {
        throw invalid(`at most ${LIMITS.entryPoints} entry points`);
      }
      this.#entryPoints.push(entryPoint);
      return this;
    }

    addConferenceParameter(conferenceParameter) {
      checkParameter(conferenceParameter);
      if (this.#parameters.length >= LIMITS.parameters) {
        throw invalid(`at most ${LIMITS.parameters} conference parameters`);
      }
      this.#parameters.push(conferenceParameter);
      return this;
    }

    setNotes(notes) {
      requireString(notes, 'notes', LIMITS.notes, {allowEmpty: true});
      this.#notes = notes;
      return this;
    }

    setError(conferenceError) {
      if (errorState.get(conferenceError) === undefined) {
        throw invalid('conferenceError must come from ConferenceDataService.newConferenceError()');
      }
      this.#error = conferenceError;
      return this;
    }

    build() {
      // Entry points and parameters are objects the caller may still change: check again.
      const entryPoints = this.#entryPoints.map(checkEntryPoint);
      const parameters = this.#parameters.map(checkParameter);
      const error = this.#error === null ? null : checkError(this.#error);
      if (error === null) {
        if (this.#solutionId === null) {
          throw invalid('setConferenceSolutionId is required');
        }
        if (entryPoints.length === 0) {
          throw invalid('a conference needs at least one entry point');
        }
        for (const type of AT_MOST_ONE) {
          const count = entryPoints.filter((state) => state.type === type).length;
          if (count > 1) {
            throw invalid(`at most one ${type} entry point, got ${count}`);
          }
        }
        if (entryPoints.every((state) => state.type === 'MORE')) {
          throw invalid('a conference whose only entry point is MORE is invalid');
        }
      }
      const snapshot = {};
      if (this.#solutionId !== null) {
        snapshot.conferenceSolutionId = this.#solutionId;
      }
      if (this.#conferenceId !== null) {
        snapshot.conferenceId = this.#conferenceId;
      }
      if (entryPoints.length > 0) {
        snapshot.entryPoints = entryPoints.map(entryPointSnapshot);
      }
      if (parameters.length > 0) {
        const map = {};
        for (const state of parameters) {
          map[state.key] = state.value;
        }
        snapshot.parameters = {addOnParameters: {parameters: map}};
      }
      if (this.#notes !== null) {
        snapshot.notes = this.#notes;
      }
      if (error !== null) {
        snapshot.error = {type: error.type};
        if (error.authenticationUrl !== null) {
          snapshot.error.authenticationUrl = error.authenticationUrl;
        }
      }
      return new ConferenceData(snapshot);
    }
  }

  return Object.freeze({
    newConferenceDataBuilder: () => new ConferenceDataBuilder(),
    newEntryPoint: () => new EntryPoint(),
    newConferenceParameter: () => new ConferenceParameter(),
    newConferenceError: () => new ConferenceError(),
    EntryPointType,
    EntryPointFeature,
    ConferenceErrorType,
  });
}

/** True when `url` is a logo URL hosted by Google (GOOGLE_HOSTED_LOGO). */
function isGoogleHostedLogo(url) {
  return typeof url === 'string' && GOOGLE_HOSTED_LOGO.test(url);
}

function invalidManifest(message) {
  return new Error('Invalid manifest appsscript.json: ' + message);
}

function requireLogo(url, field) {
  if (!isGoogleHostedLogo(url)) {
    throw invalidManifest(`${field} ${JSON.stringify(url)} is not hosted by Google: a ` +
        'conference solution\'s logo must be https on *.googleusercontent.com, ' +
        '*.gstatic.com or storage.googleapis.com (e.g. the store-listing icon)');
  }
}

/**
 * Checks the add-on manifest as the stand-in's services rely on it: the conference
 * solutions (id, name, logoUrl, onCreateFunction each a non-empty string, ids unique) and
 * every logo (addOns.common.logoUrl too) hosted by Google. Throws `Invalid manifest
 * appsscript.json: ...`.
 */
function checkManifest(manifest) {
  const addOns = manifest && manifest.addOns;
  const solutions = addOns && addOns.calendar && addOns.calendar.conferenceSolution;
  if (!Array.isArray(solutions) || solutions.length === 0) {
    throw invalidManifest('addOns.calendar.conferenceSolution must list the solutions');
  }
  requireLogo(addOns.common && addOns.common.logoUrl, 'addOns.common.logoUrl');
  const ids = new Set();
  solutions.forEach((solution, index) => {
    const where = `conferenceSolution[${index}]`;
    for (const field of ['id', 'name', 'logoUrl', 'onCreateFunction']) {
      if (typeof solution[field] !== 'string' || solution[field].length === 0) {
        throw invalidManifest(`${where}.${field} is required`);
      }
    }
    if (ids.has(solution.id)) {
      throw invalidManifest(`${where}.id ${JSON.stringify(solution.id)} is not unique`);
    }
    ids.add(solution.id);
    requireLogo(solution.logoUrl, `${where}.logoUrl`);
  });
  return manifest;
}

/** True when `url` equals an allowlist prefix or lies below it (Apps Script's matching). */
function allowedByWhitelist(url, prefixes) {
  return prefixes.some((prefix) => {
    if (!url.startsWith(prefix)) {
      return false;
    }
    const rest = url.slice(prefix.length);
    return rest === '' || prefix.endsWith('/') || /^[/?#]/.test(rest);
  });
}

class HTTPResponse {
  #status;
  #text;

  constructor(status, text) {
    this.#status = status;
    this.#text = text;
    Object.freeze(this);
  }

  getResponseCode() {
    return this.#status;
  }

  getContentText() {
    return this.#text;
  }

  getHeaders() {
    return {'Content-Type': 'application/json; charset=utf-8'};
  }
}

const HTTP_METHODS = ['get', 'delete', 'patch', 'post', 'put'];

/**
 * A UrlFetchApp whose fetch answers from `answers` (queue with `answer()`): `{status, body}`
 * (a non-string body is sent as JSON) or `{throws: Error | message}`. Requests land in
 * `requests`; a fetch with no answer queued lands in `problems` (and throws).
 */
function createUrlFetchApp({whitelist = [], scopes = []} = {}) {
  const requests = [];
  const answers = [];
  const problems = [];

  function fetch(url, params = {}) {
    if (!scopes.includes('https://www.googleapis.com/auth/script.external_request')) {
      throw new Error('Exception: You do not have permission to call UrlFetchApp.fetch. ' +
          'Required permissions: https://www.googleapis.com/auth/script.external_request');
    }
    if (typeof url !== 'string' || !allowedByWhitelist(url, whitelist)) {
      throw new Error(`Exception: ${String(url)} is not in the urlFetchWhitelist of the manifest`);
    }
    const method = String(params.method === undefined ? 'get' : params.method).toLowerCase();
    if (!HTTP_METHODS.includes(method)) {
      throw invalid(`method ${String(params.method)}`);
    }
    requests.push({url, params: JSON.parse(JSON.stringify(params))});
    const answer = answers.shift();
    if (answer === undefined) {
      problems.push(`fetch of ${url} with no scripted answer`);
      throw new Error('stand-in: no scripted answer for this fetch');
    }
    if (answer.throws !== undefined) {
      throw answer.throws instanceof Error ? answer.throws : new Error(String(answer.throws));
    }
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    if (answer.status >= 400 && !params.muteHttpExceptions) {
      throw new Error(`Exception: Request failed for ${url} returned code ${answer.status}`);
    }
    return new HTTPResponse(answer.status, text);
  }

  return {
    service: Object.freeze({fetch}),
    requests,
    problems,
    answer(scripted) {
      answers.push(scripted);
    },
    pending() {
      return answers.length;
    },
  };
}

function createConsole() {
  const lines = [];
  const record = (level) => (...args) => {
    lines.push({level, message: args.map((arg) => String(arg)).join(' ')});
  };
  return {
    service: Object.freeze({
      log: record('log'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    }),
    lines,
  };
}

function createScriptApp(options) {
  return Object.freeze({
    getIdentityToken() {
      if (options.identityTokenError !== undefined) {
        throw options.identityTokenError;
      }
      if (!options.scopes.includes('openid')) {
        return null;
      }
      return options.identityToken;
    },
  });
}

/**
 * Loads the generated add-on in `buildDir` (appsscript.json, Config.gs, Code.gs) into a fresh
 * Apps Script stand-in; a manifest that checkManifest refuses throws. Options: identityToken
 * (default 'stand-in-identity-token'), identityTokenError (getIdentityToken throws it).
 */
function loadAddon(buildDir, options = {}) {
  const read = (name) => fs.readFileSync(path.join(buildDir, name), 'utf8');
  const manifest = checkManifest(JSON.parse(read('appsscript.json')));
  const solutions = manifest.addOns.calendar.conferenceSolution;
  const scopes = manifest.oauthScopes || [];
  const urlFetch = createUrlFetchApp({whitelist: manifest.urlFetchWhitelist || [], scopes});
  const consoleStandIn = createConsole();
  const scriptApp = createScriptApp({
    identityToken: 'stand-in-identity-token',
    ...options,
    scopes,
  });
  const context = vm.createContext({
    ConferenceDataService: createConferenceDataService({
      solutionIds: solutions.map((solution) => solution.id),
    }),
    UrlFetchApp: urlFetch.service,
    ScriptApp: scriptApp,
    console: consoleStandIn.service,
  });
  // Apps Script runs every file's top level, in project order, in one global scope.
  for (const name of ['Config.gs', 'Code.gs']) {
    vm.runInContext(read(name), context, {filename: path.join(buildDir, name)});
  }

  return {
    manifest,
    solutions,
    context,
    requests: urlFetch.requests,
    logs: consoleStandIn.lines,
    /** Queues the answer of the next fetch (see createUrlFetchApp). */
    answer: (scripted) => urlFetch.answer(scripted),
    hasFunction: (name) => typeof context[name] === 'function',
    /** The onCreateFunction of solution `solutionId` in the manifest. */
    onCreateFunctionOf(solutionId) {
      const solution = solutions.find((candidate) => candidate.id === solutionId);
      if (solution === undefined) {
        throw new Error(`no conference solution ${JSON.stringify(solutionId)} in the manifest`);
      }
      return solution.onCreateFunction;
    },
    /** Calls the global function `name` as Calendar would; fails on stand-in misuse. */
    call(name, arg) {
      if (typeof context[name] !== 'function') {
        throw new Error(`Code.gs defines no function ${name}`);
      }
      const result = context[name](arg);
      if (urlFetch.problems.length > 0 || urlFetch.pending() > 0) {
        throw new Error('stand-in: ' + (urlFetch.problems.join('; ') ||
            `${urlFetch.pending()} scripted answer(s) not fetched`));
      }
      return result;
    },
  };
}

/**
 * The generated add-on to test: $ADDON_BUILD_DIR, else addon/build. Throws, saying how to
 * generate it, when the folder holds no appsscript.json.
 */
function addonBuildDir() {
  const dir = process.env.ADDON_BUILD_DIR || path.join(__dirname, '..', 'build');
  if (!fs.existsSync(path.join(dir, 'appsscript.json'))) {
    throw new Error(`no generated add-on in ${dir}: run "python -m addon.generate --provider ` +
        `<provider> --function-url <url> --logo-url <url> --out ${dir}" or set ADDON_BUILD_DIR`);
  }
  return dir;
}

module.exports = {
  LIMITS,
  ConferenceData,
  addonBuildDir,
  allowedByWhitelist,
  checkManifest,
  createConferenceDataService,
  createUrlFetchApp,
  isGoogleHostedLogo,
  loadAddon,
};
