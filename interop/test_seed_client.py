"""Interop: the seed's own Python client (jsonrpcclient 3) against our Rust server.

The seed (jsonrpc-python-tornado.md) talks to its server with

    >>> import jsonrpcclient
    >>> jsonrpcclient.request('http://localhost:5000/', 'ping')
    --> {"jsonrpc": "2.0", "method": "ping", "id": 1}
    <-- {"jsonrpc": "2.0", "result": "pong", "id": 1} (200 OK)

These tests do the same against the server at the URL in the environment variable
JSONRPC_URL (interop/run.sh starts `examples/ping_server` and sets it). Standard library
unittest only:

    JSONRPC_URL=http://127.0.0.1:5000/ python interop/test_seed_client.py -v
"""

import contextlib
import io
import json
import logging
import os
import re
import sys
import unittest
import warnings

# jsonrpcclient 3 imports pkg_resources, which warns that it is deprecated on every import.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="pkg_resources is deprecated", category=UserWarning
    )
    import jsonrpcclient
    from jsonrpcclient.clients.http_client import HTTPClient
    from jsonrpcclient.exceptions import ReceivedErrorResponseError
    from jsonrpcclient.response import NotificationResponse

URL = os.environ.get("JSONRPC_URL", "")

# The loggers jsonrpcclient 3 writes requests and responses to.
REQUEST_LOGGER = "jsonrpcclient.client.request"
RESPONSE_LOGGER = "jsonrpcclient.client.response"


def setUpModule():
    if not URL:
        raise RuntimeError(
            "set JSONRPC_URL to the server's address, e.g. http://127.0.0.1:5000/"
        )


class RequestTest(unittest.TestCase):
    def test_ping_returns_pong(self):
        # Exactly the seed's call.
        response = jsonrpcclient.request(URL, "ping")
        self.assertEqual(response.data.result, "pong")
        self.assertTrue(response.data.ok)
        self.assertEqual(response.raw.status_code, 200)

    def test_response_id_matches_request_id(self):
        client = HTTPClient(URL)
        for _ in range(3):
            response = client.request("ping")
            sent = json.loads(response.raw.request.body)
            self.assertEqual(response.data.id, sent["id"])
            self.assertEqual(response.data.result, "pong")


class LoggingTest(unittest.TestCase):
    """The `-->` / `<--` lines the seed shows.

    jsonrpcclient 3 logs each request to the logger "jsonrpcclient.client.request" and each
    response to "jsonrpcclient.client.response", at INFO; the arrows come from the formats
    `basic_logging=True` installs ("--> %(message)s" and, for HTTP, "<-- %(message)s
    (%(http_code)s %(http_reason)s)").
    """

    def test_request_and_response_are_logged(self):
        with self.assertLogs("jsonrpcclient.client", level="INFO") as captured:
            response = jsonrpcclient.request(URL, "ping")
        by_logger = {}
        for record in captured.records:
            by_logger.setdefault(record.name, []).append(record)
        self.assertEqual(len(by_logger.get(REQUEST_LOGGER, [])), 1, captured.output)
        self.assertEqual(len(by_logger.get(RESPONSE_LOGGER, [])), 1, captured.output)

        request = json.loads(by_logger[REQUEST_LOGGER][0].getMessage())
        self.assertEqual(
            request, {"jsonrpc": "2.0", "method": "ping", "id": response.data.id}
        )
        record = by_logger[RESPONSE_LOGGER][0]
        self.assertEqual(
            json.loads(record.getMessage()),
            {"jsonrpc": "2.0", "result": "pong", "id": response.data.id},
        )
        self.assertEqual((record.http_code, record.http_reason), (200, "OK"))

    def test_basic_logging_prints_the_seeds_arrows(self):
        loggers = [logging.getLogger(REQUEST_LOGGER), logging.getLogger(RESPONSE_LOGGER)]
        saved = [(lg, list(lg.handlers), lg.level) for lg in loggers]

        def restore():
            for lg, handlers, level in saved:
                lg.handlers[:] = handlers
                lg.setLevel(level)

        self.addCleanup(restore)
        for lg in loggers:
            lg.handlers[:] = []  # basic_logging only adds handlers to loggers without one

        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):  # the StreamHandlers bind sys.stderr now
            client = HTTPClient(URL, basic_logging=True)
            result = client.request("ping").data.result
        self.assertEqual(result, "pong")

        lines = stderr.getvalue().splitlines()
        self.assertEqual(len(lines), 2, lines)
        sent = re.fullmatch(r'--> \{"jsonrpc": "2.0", "method": "ping", "id": (\d+)\}', lines[0])
        self.assertIsNotNone(sent, lines[0])
        received = re.fullmatch(r"<-- (\{.*\}) \(200 OK\)", lines[1])
        self.assertIsNotNone(received, lines[1])
        # Our server writes compact JSON where the seed's Python server puts spaces, so
        # compare the response as JSON rather than as text.
        self.assertEqual(
            json.loads(received.group(1)),
            {"jsonrpc": "2.0", "result": "pong", "id": int(sent.group(1))},
        )


class NotificationTest(unittest.TestCase):
    def test_notify_accepts_204_with_no_body(self):
        response = HTTPClient(URL).notify("ping")
        sent = json.loads(response.raw.request.body)
        self.assertEqual(sent, {"jsonrpc": "2.0", "method": "ping"})
        self.assertEqual(response.raw.status_code, 204)
        self.assertEqual(response.text, "")
        self.assertIsInstance(response.data, NotificationResponse)
        self.assertTrue(response.data.ok)

    def test_notify_of_unknown_method_is_not_an_error(self):
        # No response at all to a notification, not even an error one.
        response = HTTPClient(URL).notify("no_such_method")
        self.assertEqual(response.raw.status_code, 204)
        self.assertIsInstance(response.data, NotificationResponse)

    def test_module_level_notify_succeeds(self):
        # In jsonrpcclient 3.3.6 the module-level `jsonrpcclient.notify(url, ...)` calls
        # HTTPClient.request, not .notify: it sends a request with an "id" and so gets the
        # result back. Either way round, the call must succeed against our server.
        response = jsonrpcclient.notify(URL, "ping")
        sent = json.loads(response.raw.request.body)
        if "id" in sent:
            self.assertEqual(response.raw.status_code, 200)
            self.assertEqual(response.data.result, "pong")
        else:
            self.assertEqual(response.raw.status_code, 204)
            self.assertIsInstance(response.data, NotificationResponse)


class ErrorTest(unittest.TestCase):
    def test_unknown_method_raises_method_not_found(self):
        # jsonrpcclient 3 raises ReceivedErrorResponseError for a single error response;
        # the parsed ErrorResponse is its `.response`.
        with self.assertRaises(ReceivedErrorResponseError) as caught:
            jsonrpcclient.request(URL, "no_such_method")
        error = caught.exception.response
        self.assertEqual(error.code, -32601)
        self.assertEqual(error.message, "Method not found")
        self.assertEqual(str(caught.exception), "Method not found")
        self.assertFalse(error.ok)


if __name__ == "__main__":
    program = unittest.main(exit=False)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = max(result.testsRun - failed - skipped - len(result.expectedFailures), 0)
    # A plain closing line for CI, after unittest's own "Ran N tests ... OK".
    print(f"interop: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
