// Fetches the OpenRPC document of a running server with `rpc.discover`, validates it with
// @open-rpc/schema-utils-js (the OpenRPC meta-schema for the document's `openrpc` version, then
// dereferencing every `$ref`), checks the rules the specification states in prose and the
// meta-schema cannot express, and writes the document to a file for the next step.
//
//   node validate.mjs http://127.0.0.1:5000/ document.json

import { writeFileSync } from "node:fs";
import {
  dereferenceDocument,
  validateOpenRPCDocument,
} from "@open-rpc/schema-utils-js";

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: node validate.mjs SERVER_URL OUTPUT_FILE");
  process.exit(2);
}

const response = await fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ jsonrpc: "2.0", method: "rpc.discover", id: 1 }),
  signal: AbortSignal.timeout(10_000),
});
const answer = await response.json();
if (answer.error !== undefined || answer.result === undefined) {
  console.error(`rpc.discover did not answer a document: ${JSON.stringify(answer)}`);
  process.exit(1);
}
const document = answer.result;
writeFileSync(out, JSON.stringify(document, null, 2));

const problems = [];

// 1. The meta-schema (JSON Schema draft-07), as published by the OpenRPC project.
try {
  const valid = validateOpenRPCDocument(document);
  if (valid !== true) {
    problems.push(`the OpenRPC meta-schema rejects the document:\n${valid.message}`);
  }
} catch (error) {
  problems.push(`the document cannot be validated: ${error.message}`);
}

// 2. Every `$ref` points inside the document (so that no tool goes to the network for it) and
// resolves there (the meta-schema only checks that a `$ref` is a string).
const references = [];
const collect = (value) => {
  if (Array.isArray(value)) {
    value.forEach(collect);
  } else if (value !== null && typeof value === "object") {
    if (typeof value.$ref === "string") references.push(value.$ref);
    Object.values(value).forEach(collect);
  }
};
collect(document);
const outside = references.filter((ref) => !ref.startsWith("#/"));
if (outside.length > 0) {
  problems.push(`references outside the document: ${[...new Set(outside)].join(", ")}`);
} else {
  try {
    await dereferenceDocument(structuredClone(document));
  } catch (error) {
    problems.push(`a reference does not resolve: ${error.message}`);
  }
}

// 3. Rules of the specification's text that the meta-schema leaves out.
const names = new Set();
for (const method of document.methods ?? []) {
  if (names.has(method.name)) {
    problems.push(`method \`${method.name}\` is listed twice (names MUST be unique)`);
  }
  names.add(method.name);
  const params = method.params ?? [];
  const paramNames = params.map((p) => p.name);
  if (new Set(paramNames).size !== paramNames.length) {
    problems.push(`\`${method.name}\`: param names MUST be unique: ${paramNames.join(", ")}`);
  }
  const firstOptional = params.findIndex((p) => p.required !== true);
  if (firstOptional !== -1 && params.slice(firstOptional).some((p) => p.required === true)) {
    problems.push(
      `\`${method.name}\`: optional params MUST follow the required ones: ` +
        params.map((p) => `${p.name}${p.required === true ? "" : "?"}`).join(", "),
    );
  }
  const codes = (method.errors ?? []).map((e) => e.code);
  if (new Set(codes).size !== codes.length) {
    problems.push(`\`${method.name}\`: error codes MUST be unique: ${codes.join(", ")}`);
  }
}
for (const key of Object.keys(document.components?.schemas ?? {})) {
  if (!/^[a-zA-Z0-9.\-_]+$/.test(key)) {
    problems.push(`components.schemas key \`${key}\` does not match ^[a-zA-Z0-9.\\-_]+$`);
  }
}

const methods = document.methods ?? [];
const schemas = Object.keys(document.components?.schemas ?? {});
console.log(
  `OpenRPC ${document.openrpc} document of "${document.info?.title}" ${document.info?.version}: ` +
    `${methods.length} methods, ${schemas.length} shared schemas (${schemas.join(", ") || "none"})`,
);
if (problems.length > 0) {
  for (const problem of problems) {
    console.error(`INVALID: ${problem}`);
  }
  process.exit(1);
}
console.log(
  "valid: @open-rpc/schema-utils-js validateOpenRPCDocument (meta-schema " +
    `${document.openrpc}), ${references.length} $refs all resolve inside the document, ` +
    "method and param names and error codes unique, optional params last",
);
