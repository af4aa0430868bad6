/**
 * Conferencing add-on shim: Calendar only calls conferencing add-ons written in Apps Script,
 * so each conference solution's onCreateFunction (generated at the end of Code.gs) forwards
 * here, and the create_conference Cloud Function (CREATE_CONFERENCE_URL, in Config.gs) does
 * the work. This file only turns the function's answer into ConferenceDataService objects.
 *
 * The function answers HTTP 200 with {"conferenceData": <Calendar v3 ConferenceData>} or
 * {"conferenceError": {"type": <ConferenceErrorType name>}}; any other status carries
 * {"error": {"code", "message"}}. What Calendar gets:
 * - the conference, built from conferenceData (entry point labels are dropped: Apps Script's
 *   EntryPoint has no label setter; Calendar derives them itself);
 * - the error type named by conferenceError (an unknown name becomes UNKNOWN);
 * - TEMPORARY when the function cannot be reached or answers anything but 200;
 * - UNKNOWN when a 200 answer is not JSON, holds neither (or both) of the two keys, or is
 *   refused by ConferenceDataService.
 * Failures are logged with console.error; the identity token is never logged.
 *
 * Generated from addon/src/Shim.gs by addon/generate.py: edit the template, not Code.gs.
 */
'use strict';

/** Calendar v3 REST entry point types -> ConferenceDataService.EntryPointType names. */
const ENTRY_POINT_TYPES_ = Object.freeze({
  video: 'VIDEO',
  phone: 'PHONE',
  sip: 'SIP',
  more: 'MORE',
});

/** Calendar v3 REST entryPointFeatures -> ConferenceDataService.EntryPointFeature names. */
const ENTRY_POINT_FEATURES_ = Object.freeze({
  toll: 'TOLL',
  toll_free: 'TOLL_FREE',
});

/** ConferenceDataService.ConferenceErrorType names the function may answer with. */
const CONFERENCE_ERROR_TYPES_ = Object.freeze([
  'AUTHENTICATION',
  'CONFERENCE_SOLUTION_FORBIDDEN',
  'PERMANENT',
  'PERMISSION_DENIED',
  'TEMPORARY',
  'UNKNOWN',
]);

/** Longest excerpt of an error text that goes into a log line. */
const LOG_EXCERPT_ = 300;

/**
 * Creates the conference for the solution `solutionId` of the event in `arg.eventData`.
 *
 * @param {string} solutionId the manifest id of the picked conference solution
 * @param {Object} arg the onCreateFunction argument ({eventData: {calendarId, eventId}})
 * @return {ConferenceData} the conference, or a ConferenceData holding only an error
 */
function createConference_(solutionId, arg) {
  let payload;
  try {
    payload = requestPayload_(solutionId, arg);
  } catch (err) {
    logFailure_(solutionId, 'unusable trigger argument: ' + describe_(err));
    return errorData_('UNKNOWN');
  }

  let response;
  let token = null;
  try {
    token = ScriptApp.getIdentityToken();
    if (!token) {
      throw new Error('no identity token (is the openid scope granted?)');
    }
    response = UrlFetchApp.fetch(CREATE_CONFERENCE_URL, {
      method: 'post',
      contentType: 'application/json',
      payload: JSON.stringify(payload),
      headers: {Authorization: 'Bearer ' + token},
      muteHttpExceptions: true,
    });
  } catch (err) {
    logFailure_(solutionId, 'cannot reach the create-conference function: ' + describe_(err, token));
    return errorData_('TEMPORARY');
  }

  let status;
  let text;
  try {
    status = response.getResponseCode();
    text = response.getContentText();
  } catch (err) {
    logFailure_(solutionId, 'unreadable answer: ' + describe_(err, token));
    return errorData_('TEMPORARY');
  }
  if (status !== 200) {
    logFailure_(solutionId, 'the create-conference function answered HTTP ' + status +
        errorMessage_(text));
    return errorData_('TEMPORARY');
  }

  let answer;
  try {
    answer = JSON.parse(text);
  } catch (err) {
    logFailure_(solutionId, 'the 200 answer is not JSON (' + String(text).length + ' characters)');
    return errorData_('UNKNOWN');
  }
  const hasData = isObject_(answer) && has_(answer, 'conferenceData');
  const hasError = isObject_(answer) && has_(answer, 'conferenceError');
  if (hasData === hasError) {
    logFailure_(solutionId, 'the 200 answer must hold exactly one of conferenceData and ' +
        'conferenceError');
    return errorData_('UNKNOWN');
  }

  try {
    if (hasError) {
      return conferenceErrorFromAnswer_(solutionId, answer.conferenceError);
    }
    return conferenceFromAnswer_(solutionId, answer.conferenceData);
  } catch (err) {
    logFailure_(solutionId, 'ConferenceDataService refused the answer: ' + describe_(err, token));
    return errorData_('UNKNOWN');
  }
}

/** The JSON body sent to the function: the solution and the event's ids, nothing else. */
function requestPayload_(solutionId, arg) {
  const eventData = arg && arg.eventData;
  if (!isObject_(eventData)) {
    throw new Error('no eventData');
  }
  return {
    solutionId: solutionId,
    eventData: {calendarId: eventData.calendarId, eventId: eventData.eventId},
  };
}

/** ConferenceData for a Calendar v3 REST ConferenceData object. Throws when it can't be built. */
function conferenceFromAnswer_(solutionId, data) {
  if (!isObject_(data)) {
    throw new Error('conferenceData is not an object');
  }
  const builder = ConferenceDataService.newConferenceDataBuilder()
      .setConferenceSolutionId(solutionId);
  if (data.conferenceId != null) {
    builder.setConferenceId(data.conferenceId);
  }
  const entryPoints = data.entryPoints == null ? [] : data.entryPoints;
  if (!Array.isArray(entryPoints)) {
    throw new Error('entryPoints is not a list');
  }
  entryPoints.forEach((entryPoint) => builder.addEntryPoint(entryPointFromRest_(entryPoint)));
  const parameters = addOnParameters_(data);
  Object.keys(parameters).forEach((key) => {
    builder.addConferenceParameter(ConferenceDataService.newConferenceParameter()
        .setKey(key)
        .setValue(parameters[key]));
  });
  if (data.notes != null) {
    builder.setNotes(data.notes);
  }
  return builder.build();
}

/** An EntryPoint for a Calendar v3 REST entry point; its label is dropped. */
function entryPointFromRest_(rest) {
  if (!isObject_(rest)) {
    throw new Error('an entry point is not an object');
  }
  const typeName = lookup_(ENTRY_POINT_TYPES_, rest.entryPointType);
  if (typeName === null) {
    throw new Error('unknown entry point type ' + excerpt_(rest.entryPointType));
  }
  if (rest.uri == null) {
    throw new Error('a ' + rest.entryPointType + ' entry point has no uri');
  }
  const entryPoint = ConferenceDataService.newEntryPoint()
      .setEntryPointType(ConferenceDataService.EntryPointType[typeName])
      .setUri(rest.uri);
  if (rest.accessCode != null) {
    entryPoint.setAccessCode(rest.accessCode);
  }
  if (rest.meetingCode != null) {
    entryPoint.setMeetingCode(rest.meetingCode);
  }
  if (rest.passcode != null) {
    entryPoint.setPasscode(rest.passcode);
  }
  if (rest.password != null) {
    entryPoint.setPassword(rest.password);
  }
  if (rest.pin != null) {
    entryPoint.setPin(rest.pin);
  }
  if (rest.regionCode != null) {
    entryPoint.setRegionCode(rest.regionCode);
  }
  const features = rest.entryPointFeatures == null ? [] : rest.entryPointFeatures;
  if (!Array.isArray(features)) {
    throw new Error('entryPointFeatures is not a list');
  }
  features.forEach((feature) => {
    const featureName = lookup_(ENTRY_POINT_FEATURES_, feature);
    if (featureName === null) {
      throw new Error('unknown entry point feature ' + excerpt_(feature));
    }
    entryPoint.addFeature(ConferenceDataService.EntryPointFeature[featureName]);
  });
  return entryPoint;
}

/** The map at parameters.addOnParameters.parameters ({} when absent). */
function addOnParameters_(data) {
  let node = data;
  for (const key of ['parameters', 'addOnParameters', 'parameters']) {
    node = node[key];
    if (node == null) {
      return {};
    }
    if (!isObject_(node)) {
      throw new Error('parameters.addOnParameters.parameters is not a map');
    }
  }
  return node;
}

/** ConferenceData holding the error the function chose (UNKNOWN for a type it can't name). */
function conferenceErrorFromAnswer_(solutionId, conferenceError) {
  const typeName = isObject_(conferenceError) ? conferenceError.type : undefined;
  if (CONFERENCE_ERROR_TYPES_.indexOf(typeName) < 0) {
    logFailure_(solutionId, 'unknown conference error type ' + excerpt_(typeName));
    return errorData_('UNKNOWN');
  }
  const error = ConferenceDataService.newConferenceError()
      .setConferenceErrorType(ConferenceDataService.ConferenceErrorType[typeName]);
  if (typeName === 'AUTHENTICATION' && conferenceError.authenticationUrl != null) {
    error.setAuthenticationUrl(conferenceError.authenticationUrl);
  }
  return ConferenceDataService.newConferenceDataBuilder().setError(error).build();
}

/** ConferenceData holding only an error of the named ConferenceErrorType. */
function errorData_(typeName) {
  const error = ConferenceDataService.newConferenceError()
      .setConferenceErrorType(ConferenceDataService.ConferenceErrorType[typeName]);
  return ConferenceDataService.newConferenceDataBuilder().setError(error).build();
}

/** The message of the function's {"error": {"code", "message"}} body, for a log line. */
function errorMessage_(text) {
  try {
    const body = JSON.parse(text);
    if (isObject_(body) && isObject_(body.error) && typeof body.error.message === 'string') {
      return ': ' + body.error.message.slice(0, LOG_EXCERPT_);
    }
  } catch (err) {
    // Not the documented error shape: the status alone goes into the log.
  }
  return '';
}

function logFailure_(solutionId, message) {
  console.error('create conference (solution ' + excerpt_(solutionId) + '): ' + message);
}

/** An error's message for a log line, with `secret` (the identity token) masked. */
function describe_(err, secret) {
  let text = String(err && err.message ? err.message : err);
  if (secret) {
    text = text.split(String(secret)).join('[token]');
  }
  return text.slice(0, LOG_EXCERPT_);
}

function excerpt_(value) {
  return JSON.stringify(String(value).slice(0, 60));
}

function lookup_(table, key) {
  return typeof key === 'string' && has_(table, key) ? table[key] : null;
}

function has_(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function isObject_(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
