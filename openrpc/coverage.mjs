// Drives a running server from its OpenRPC document with @open-rpc/test-coverage, and fails
// unless every method is callable as documented.
//
//   node coverage.mjs http://127.0.0.1:5000/ document.json
//
// test-coverage's own command line is not usable here, and its two built-in rules are not
// either, for reasons of the tool rather than of the document:
// - its CLI validates with a bundled copy of @open-rpc/schema-utils-js 1.x whose meta-schema
//   stops at OpenRPC 1.2.6, so it rejects any 1.3 document before calling anything;
// - its json-schema-faker rule checks results with Ajv 7 in strict mode, which throws on formats
//   it does not know (`int64`, `uint64`, `double`: annotations in JSON Schema draft-07); hands
//   a top-level boolean schema (`true`, "any value", valid draft-07) to json-schema-faker,
//   which throws; and treats every error answer as a failure, even an error the method
//   declares, or as a success when the result schema is `true`;
// - it sends every call by position, even for methods whose params are `either`.
// So this script uses test-coverage's JavaScript API (the same engine and the `Rule` extension
// point its README documents) with one rule, `documentedCalls`, below. Nothing is skipped.

import { readFileSync } from "node:fs";
import coverage from "@open-rpc/test-coverage";
import { dereferenceDocument } from "@open-rpc/schema-utils-js";
import { JSONSchemaFaker as jsf } from "json-schema-faker";
import Ajv from "ajv";

const [serverUrl, documentFile] = process.argv.slice(2);
if (!serverUrl || !documentFile) {
  console.error("usage: node coverage.mjs SERVER_URL DOCUMENT_FILE");
  process.exit(2);
}

/// Calls per method with params: half by position, half by name when the method takes either.
const CALLS_PER_METHOD = 10;
/// A fixed seed, so that a failure can be reproduced (set OPENRPC_SEED to explore others, and
/// OPENRPC_VERBOSE=1 to see every call).
const SEED = Number(process.env.OPENRPC_SEED ?? 7);

// validate.mjs has checked that every `$ref` points inside the document: dereferencing it
// touches no network.
const document = await dereferenceDocument(JSON.parse(readFileSync(documentFile, "utf8")));
document.servers = [{ name: "spec_server", url: serverUrl }];

// json-schema-faker, seeded (mulberry32).
let state = SEED >>> 0;
jsf.option({
  random: () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  },
});

// Draft-07, as OpenRPC 1.3 specifies. `format` stays an annotation (draft-07 makes validating it
// optional and schemars' numeric formats are not Ajv's), and keywords Ajv does not know are
// ignored rather than fatal, as the draft asks.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

/// Narrower ranges for generating some params: not part of the server's contract (`sleep` takes
/// any u64), only what this run is willing to wait for.
const GENERATION_BOUNDS = { sleep: { ms: { maximum: 1000 } } };

/// A value for `schema`: "any value" (`true`, `{}`) is an arbitrary JSON value.
const fake = (schema, bounds) =>
  jsf.generate({ ...(schema === true ? {} : schema), ...(bounds ?? {}) });

/// The test-coverage rule: params generated from the document's schemas; a call is valid when
/// the server answers a result that matches the result schema, or an error the method declares.
const documentedCalls = {
  getTitle: () =>
    "params from the document's schemas; a result matching the result schema or a declared error",

  getCalls(openrpcDocument, method) {
    const params = method.params ?? [];
    const structure = method.paramStructure ?? "either";
    const count = params.length === 0 ? 1 : CALLS_PER_METHOD;
    const calls = [];
    for (let i = 0; i < count; i++) {
      const byName = structure === "by-name" || (structure === "either" && i % 2 === 1);
      // Every other pair of calls leaves the optional params out (by position, only trailing
      // ones can be, and the document puts them last).
      const omitOptional = i % 4 >= 2;
      const given = params.filter((p) => !(omitOptional && p.required !== true));
      const values = given.map((p) => fake(p.schema, GENERATION_BOUNDS[method.name]?.[p.name]));
      calls.push({
        title: `${byName ? "by name" : "by position"}${omitOptional ? ", no optional params" : ""}`,
        methodName: method.name,
        params: byName
          ? Object.fromEntries(given.map((p, k) => [p.name, values[k]]))
          : values,
        url: openrpcDocument.servers[0].url,
        resultSchema: method.result.schema,
        declaredErrors: (method.errors ?? []).map((e) => e.code),
      });
    }
    return calls;
  },

  validateCall(call) {
    if (call.error !== undefined) {
      call.valid = call.declaredErrors.includes(call.error.code);
      if (!call.valid) {
        call.reason = `error ${JSON.stringify(call.error)} is not one the method declares (${
          call.declaredErrors.join(", ") || "none"
        })`;
      }
    } else if (call.result === undefined) {
      call.valid = false;
      call.reason = "the answer has neither a result nor an error";
    } else {
      call.valid = ajv.validate(call.resultSchema, call.result);
      if (!call.valid) {
        call.reason = `result ${JSON.stringify(call.result)} does not match ${JSON.stringify(
          call.resultSchema,
        )}: ${ajv.errorsText()}`;
      }
    }
    return call;
  },
};

/// The transport: HTTP POST to the server under test and nowhere else.
let nextId = 1;
const transport = async (url, method, params) => {
  if (url !== serverUrl) {
    throw new Error(`refusing to call ${url}: only ${serverUrl} is under test`);
  }
  const id = nextId++;
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", method, params, id }),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = await response.json();
  if (answer.jsonrpc !== "2.0" || answer.id !== id) {
    throw new Error(`not a JSON-RPC 2.0 answer to id ${id}: ${JSON.stringify(answer)}`);
  }
  return answer;
};

/// A reporter that prints one line per method and the calls that failed.
const summary = {
  onBegin() {},
  onTestBegin() {},
  onTestEnd() {},
  onEnd() {},
};

const calls = await coverage.default({
  openrpcDocument: document,
  transport,
  reporters: [summary],
  rules: [documentedCalls],
  skip: [],
  only: [],
});

let failures = 0;
for (const method of document.methods) {
  const own = calls.filter((c) => c.methodName === method.name);
  const bad = own.filter((c) => c.valid !== true);
  const results = own.filter((c) => c.valid && c.error === undefined).length;
  const errors = own.filter((c) => c.valid && c.error !== undefined);
  const errorCodes = [...new Set(errors.map((c) => c.error.code))];
  const ok = own.length > 0 && bad.length === 0;
  failures += ok ? 0 : 1;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${method.name.padEnd(14)} ${own.length} calls: ${results} results` +
      (errors.length > 0 ? `, ${errors.length} declared errors (${errorCodes.join(", ")})` : ""),
  );
  if (own.length === 0) {
    console.log("       not called");
  }
  if (process.env.OPENRPC_VERBOSE) {
    for (const call of own.filter((c) => c.valid === true)) {
      const answer = call.error !== undefined ? { error: call.error } : call.result;
      console.log(`       ${JSON.stringify(call.params)} -> ${JSON.stringify(answer)}`);
    }
  }
  for (const call of bad) {
    console.log(`       ${call.title}: params ${JSON.stringify(call.params)}`);
    console.log(`         ${call.requestError ?? call.reason}`);
  }
}
const total = calls.length;
const valid = calls.filter((c) => c.valid === true).length;
console.log(
  `test-coverage: ${valid}/${total} calls as documented, ` +
    `${document.methods.length - failures}/${document.methods.length} methods (seed ${SEED})`,
);
// The plain closing line CI reads: one per method.
console.log(`openrpc: ${document.methods.length - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
