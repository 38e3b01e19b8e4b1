// vscode-jsonrpc (the JSON-RPC library of VS Code) against examples/lsp_server over stdio with
// Content-Length framing. interop/stdio.sh runs it:
//
//     node interop/lsp/test_vscode_jsonrpc.mjs PATH/TO/lsp_server
//
// It spawns the server, opens a MessageConnection on the child's stdout and stdin, answers the
// server's `workspace/configuration` requests, and checks requests, notifications both ways,
// a request during which the server calls the client back (and one where the client's answer
// is an error), calls answered out of order, the shutdown/exit lifecycle and the exit status.
// Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`, and
// the exit status is 1 if any check failed. Every wait has a timeout, so nothing hangs.

import { spawn } from "node:child_process";
import assert from "node:assert/strict";
// The package is CommonJS: its default export is the module.
import rpc from "vscode-jsonrpc/node";

const { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } = rpc;

const SERVER = process.argv[2] ?? "target/debug/examples/lsp_server";
const STEP_MS = 10_000;
const URI = "file:///tmp/example.txt";
const TEXT = "the quick brown fox\njumps over the lazy dog\n😀 the end";

let passed = 0;
let failed = 0;

function within(ms, what, promise) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function check(name, body) {
    try {
        await within(STEP_MS, name, body());
        passed += 1;
        console.log(`ok ${name}`);
    } catch (error) {
        failed += 1;
        console.log(`FAIL ${name}: ${error?.message ?? error}`);
    }
}

/// Spawns the server and connects to it. `exited` resolves to the exit status.
function start() {
    const child = spawn(SERVER, [], { stdio: ["pipe", "pipe", "pipe"] });
    const stderr = [];
    child.stderr.on("data", (chunk) => stderr.push(chunk));
    const exited = new Promise((resolve) => {
        child.on("exit", (code, signal) => resolve(code ?? signal));
        child.on("error", (error) => resolve(`not started: ${error.message}`));
    });
    const connection = createMessageConnection(
        new StreamMessageReader(child.stdout),
        new StreamMessageWriter(child.stdin),
    );
    return { child, connection, exited, stderr };
}

/// A promise and the function that resolves it.
function deferred() {
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    return { promise, resolve };
}

async function main() {
    const { child, connection, exited, stderr } = start();

    // What the server sent us.
    const configurationRequests = [];
    const logMessages = [];
    let logMessage = deferred();
    // How the client answers `workspace/configuration` (each check sets it).
    let answerConfiguration = async () => [{ minLength: 4 }];
    connection.onRequest("workspace/configuration", async (params) => {
        configurationRequests.push(params);
        return answerConfiguration(params);
    });
    connection.onNotification("window/logMessage", (params) => {
        logMessages.push(params);
        logMessage.resolve(params);
    });
    connection.listen();

    await check("initialize answers the server's capabilities", async () => {
        const result = await connection.sendRequest("initialize", {
            processId: process.pid,
            clientInfo: { name: "vscode-jsonrpc interop", version: "1" },
            rootUri: null,
            capabilities: { workspace: { configuration: true } },
        });
        assert.equal(result.capabilities.hoverProvider, true);
        assert.equal(result.capabilities.textDocumentSync, 1);
        assert.equal(result.serverInfo.name, "jsonrpc-runtime-lsp-example");
        await connection.sendNotification("initialized", {});
    });

    await check("didOpen (a notification) is kept, and the server notifies window/logMessage", async () => {
        await connection.sendNotification("textDocument/didOpen", {
            textDocument: { uri: URI, languageId: "plaintext", version: 1, text: TEXT },
        });
        const message = await logMessage.promise;
        assert.deepEqual(message, { type: 3, message: `opened ${URI}: 11 words` });
    });

    await check("hover answers the word under the cursor and its count", async () => {
        const hover = await connection.sendRequest("textDocument/hover", {
            textDocument: { uri: URI },
            position: { line: 1, character: 12 },
        });
        assert.deepEqual(hover.contents, { kind: "plaintext", value: "`the`: 3 in this document" });
    });

    await check("hover counts positions in UTF-16 code units (after an emoji)", async () => {
        const hover = await connection.sendRequest("textDocument/hover", {
            textDocument: { uri: URI },
            position: { line: 2, character: 8 },
        });
        assert.equal(hover.contents.value, "`end`: 1 in this document");
    });

    await check("hover off a word answers null", async () => {
        const hover = await connection.sendRequest("textDocument/hover", {
            textDocument: { uri: URI },
            position: { line: 0, character: 3 },
        });
        assert.equal(hover, null);
    });

    await check("example/wordCount asks the client for workspace/configuration and uses the answer", async () => {
        configurationRequests.length = 0;
        answerConfiguration = async () => [{ minLength: 4 }];
        const result = await connection.sendRequest("example/wordCount", { textDocument: { uri: URI } });
        assert.deepEqual(configurationRequests, [{ items: [{ scopeUri: URI, section: "wordCount" }] }]);
        // quick brown jumps over lazy: five words of 4 letters or more.
        assert.deepEqual(result, { words: 5, minLength: 4 });
    });

    await check("example/wordCount with no setting from the client counts every word", async () => {
        answerConfiguration = async () => [null];
        const result = await connection.sendRequest("example/wordCount", { textDocument: { uri: URI } });
        assert.deepEqual(result, { words: 11, minLength: 1 });
    });

    await check("an error the client answers to workspace/configuration is the call's error", async () => {
        answerConfiguration = async () => {
            throw new ResponseError(-32099, "no settings here", { why: "test" });
        };
        await assert.rejects(
            connection.sendRequest("example/wordCount", { textDocument: { uri: URI } }),
            (error) => {
                assert.ok(error instanceof ResponseError, `not a ResponseError: ${error}`);
                assert.equal(error.code, -32099);
                assert.equal(error.message, "no settings here");
                return true;
            },
        );
    });

    await check("calls run concurrently: a hover is answered while a wordCount waits on the client", async () => {
        const release = deferred();
        answerConfiguration = async () => {
            await release.promise;
            return [{ minLength: 5 }];
        };
        const order = [];
        const counting = connection
            .sendRequest("example/wordCount", { textDocument: { uri: URI } })
            .then((result) => {
                order.push("wordCount");
                return result;
            });
        const hover = await connection.sendRequest("textDocument/hover", {
            textDocument: { uri: URI },
            position: { line: 0, character: 5 },
        });
        order.push("hover");
        assert.equal(hover.contents.value, "`quick`: 1 in this document");
        release.resolve();
        assert.deepEqual(await counting, { words: 3, minLength: 5 });
        assert.deepEqual(order, ["hover", "wordCount"]);
    });

    await check("didChange replaces the text; a document not open is error -32602", async () => {
        answerConfiguration = async () => [{ minLength: 1 }];
        await connection.sendNotification("textDocument/didChange", {
            textDocument: { uri: URI, version: 2 },
            contentChanges: [{ text: "one two three" }],
        });
        assert.deepEqual(
            await connection.sendRequest("example/wordCount", { textDocument: { uri: URI } }),
            { words: 3, minLength: 1 },
        );
        await connection.sendNotification("textDocument/didClose", { textDocument: { uri: URI } });
        await assert.rejects(
            connection.sendRequest("textDocument/hover", {
                textDocument: { uri: URI },
                position: { line: 0, character: 0 },
            }),
            (error) => error.code === -32602 && error.message === `${URI} is not open`,
        );
    });

    await check("an unknown method is error -32601", async () => {
        await assert.rejects(
            connection.sendRequest("textDocument/unknown", {}),
            (error) => error instanceof ResponseError && error.code === -32601,
        );
    });

    await check("shutdown answers null, exit ends the server with status 0", async () => {
        assert.equal(await connection.sendRequest("shutdown"), null);
        await connection.sendNotification("exit");
        assert.equal(await exited, 0);
    });
    connection.dispose();
    if (failed) {
        process.stderr.write(`the server's stderr:\n${Buffer.concat(stderr).toString()}\n`);
    }
    child.kill();

    await check("exit without shutdown ends the server with status 1", async () => {
        const other = start();
        other.connection.listen();
        await other.connection.sendRequest("initialize", { processId: null, capabilities: {} });
        await other.connection.sendNotification("exit");
        const status = await other.exited;
        other.connection.dispose();
        assert.equal(status, 1);
    });

    await check("the end of stdin ends the server with status 0", async () => {
        const other = start();
        other.connection.listen();
        await other.connection.sendRequest("initialize", { processId: null, capabilities: {} });
        other.child.stdin.end();
        const status = await other.exited;
        other.connection.dispose();
        assert.equal(status, 0);
    });

    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
    console.log(`FAIL the test crashed: ${error?.stack ?? error}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exitCode = 1;
});
