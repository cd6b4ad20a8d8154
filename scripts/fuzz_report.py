#!/usr/bin/env python3
"""Helpers of scripts/fuzz.sh (standard library only).

    fuzz_report.py cookie-name openapi.json
        The cookie named by the document's `session` security scheme.
    fuzz_report.py set-cookie HEADERS_FILE
        `name=value` of the session cookie in a saved HTTP response head (curl -D).
    fuzz_report.py with-cookie-name openapi.json NAME OUT
        Writes a copy of the document whose cookie security schemes name NAME.
    fuzz_report.py summary --min-cases N --doc openapi.json [--extra-failure TEXT]... \
            LABEL=REPORT_DIR...
        Reads schemathesis' JSON and NDJSON reports of each run, prints the cases per operation
        and every failure (grouped, with a curl line), then one `fuzz:` summary line. Exits 1 when
        a run failed or errored, an operation of the document got no case, or there were fewer
        than N cases in total.
"""

from __future__ import annotations

import base64
import collections
import json
import shlex
import sys
from pathlib import Path

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def doc_operations(doc: dict) -> dict[str, str]:
    """`METHOD /path` -> operationId, for every operation of the document."""
    out = {}
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in METHODS:
                out[f"{method.upper()} {path}"] = op.get("operationId", "?")
    return out


def cookie_name(doc_path: str) -> str:
    doc = json.loads(Path(doc_path).read_text())
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
            return scheme["name"]
    return ""


def with_cookie_name(doc_path: str, name: str, out_path: str) -> None:
    doc = json.loads(Path(doc_path).read_text())
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
            scheme["name"] = name
    Path(out_path).write_text(json.dumps(doc, indent=2))


def set_cookie(headers_path: str) -> str:
    """The `name=value` of the response's session cookie: the one whose name mentions
    `session`, else the first one that is not being removed."""
    found = []
    for line in Path(headers_path).read_text(errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() != "set-cookie":
            continue
        pair = value.strip().split(";", 1)[0].strip()
        if "=" in pair and pair.split("=", 1)[1]:
            found.append(pair)
    for pair in found:
        if "session" in pair.split("=", 1)[0].lower():
            return pair
    return found[0] if found else ""


def _body(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, dict) and "$base64" in raw:
        data = base64.b64decode(raw["$base64"])
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return raw if isinstance(raw, str) else json.dumps(raw)


def curl_line(request: dict) -> str:
    parts = ["curl", "-sS", "-i", "-X", request.get("method", "GET")]
    for name, values in (request.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            if name.lower() == "cookie":
                # The report hides the session; use your own.
                parts += ["-H", "Cookie: $SESSION_COOKIE" if value == "[Filtered]" else f"Cookie: {value}"]
            else:
                parts += ["-H", f"{name}: {value}"]
    body = _body(request.get("body"))
    if body is not None:
        parts += ["--data-binary", body]
    elif request.get("body") is not None:
        parts += ["--data-binary", "<non-UTF-8 bytes, see the NDJSON report>"]
    parts.append(request.get("uri", "?"))
    line = " ".join(shlex.quote(p) if p != "Cookie: $SESSION_COOKIE" else '"Cookie: $SESSION_COOKIE"' for p in parts)
    return line if len(line) <= 1500 else line[:1500] + " …(truncated)"


def read_run(report_dir: Path):
    """(json report, cases per operation, statuses per operation, failures) of one run."""
    summary = None
    for path in sorted(report_dir.glob("*.json")):
        summary = json.loads(path.read_text())
    cases: collections.Counter = collections.Counter()
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: dict[tuple, dict] = {}
    for path in sorted(report_dir.glob("*.ndjson")):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if finished is None:
                continue
            recorder = finished.get("recorder") or {}
            label = recorder.get("label", "?")
            cases[label] += len(recorder.get("cases") or {})
            interactions = recorder.get("interactions") or {}
            for interaction in interactions.values():
                response = interaction.get("response")
                if response:
                    statuses[label][response["status_code"]] += 1
            for case_id, checks in (recorder.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    info = (check.get("failure_info") or {}).get("failure") or {}
                    message = (info.get("message") or "").strip()
                    interaction = interactions.get(case_id) or {}
                    response = interaction.get("response") or {}
                    status = response.get("status_code")
                    key = (label, info.get("code") or check["name"], status, message.splitlines()[0] if message else "")
                    entry = failures.setdefault(
                        key,
                        {
                            "operation": label,
                            "check": check["name"],
                            "code": info.get("code", ""),
                            "title": info.get("title", check["name"]),
                            "message": message,
                            "status": status,
                            "answer": _body(response.get("content")),
                            "curl": curl_line(interaction["request"]) if interaction.get("request") else "",
                            "count": 0,
                        },
                    )
                    entry["count"] += 1
    return summary, cases, statuses, failures


def summary(argv: list[str]) -> int:
    min_cases = 0
    doc_path = None
    extra_failures: list[str] = []
    runs = []
    args = iter(argv)
    for arg in args:
        if arg == "--min-cases":
            min_cases = int(next(args))
        elif arg == "--doc":
            doc_path = next(args)
        elif arg == "--extra-failure":
            extra_failures.append(next(args))
        else:
            label, _, directory = arg.partition("=")
            runs.append((label, Path(directory)))
    operations = doc_operations(json.loads(Path(doc_path).read_text())) if doc_path else {}

    total = 0
    total_failures = 0
    total_errors = 0
    per_run = []
    covered: collections.Counter = collections.Counter()
    problems: list[str] = list(extra_failures)
    for label, directory in runs:
        report, cases, statuses, failures = read_run(directory)
        print(f"--- {label} run")
        if report is None:
            problems.append(f"{label}: schemathesis wrote no report (it crashed or was stopped)")
            per_run.append(f"{label} ?")
            continue
        generated = report["test_cases"]["generated"]
        total += generated
        per_run.append(f"{label} {generated}")
        ops = report.get("operations") or {}
        print(
            f"    {generated} cases, operations tested {ops.get('tested')}/{ops.get('selected')}, "
            f"stop: {report.get('stop_reason')}, exit code {report.get('exit_code')}, "
            f"seed {report.get('seed')}, {report.get('running_time', 0):.0f}s"
        )
        for op in sorted(cases):
            covered[op] += cases[op]
            answers = ", ".join(f"{code}×{n}" for code, n in sorted(statuses[op].items()))
            print(f"    {op:32} {cases[op]:5} cases   answers {answers}")
        run_failures = sum(group["count"] for group in report.get("failures", []))
        total_failures += run_failures
        for group in report.get("failures", []):
            problems.append(f"{label}: {group['code']} {group['title']} ×{group['count']} on {', '.join(group['operations'])}")
        for error in report.get("errors", []):
            total_errors += error["count"]
            problems.append(f"{label}: error: {error['title']} ×{error['count']}")
        if not report.get("complete", False):
            problems.append(f"{label}: the run did not finish ({report.get('stop_reason')})")
        if ops.get("errored"):
            problems.append(f"{label}: {ops['errored']} operation(s) errored")
        for failure in sorted(failures.values(), key=lambda f: (f["operation"], f["code"], f["status"] or 0)):
            print(f"    FAILURE {failure['operation']}: {failure['code']} {failure['title']} (×{failure['count']})")
            for line in failure["message"].splitlines():
                print(f"        {line}")
            if failure["answer"] is not None:
                print(f"        answered {failure['status']}: {failure['answer'][:300]}")
            if failure["curl"]:
                print(f"        {failure['curl']}")
    missing = sorted(op for op in operations if covered[op] == 0)
    if missing:
        problems.append("operations without a single case: " + ", ".join(missing))
    if total < min_cases:
        problems.append(f"only {total} cases, fewer than the {min_cases} required")

    for problem in problems:
        print(f"!!! {problem}")
    verdict = "FAIL" if problems else "PASS"
    tested = sum(1 for op in operations if covered[op] > 0)
    other = f", {len(extra_failures)} other problems" if extra_failures else ""
    print(
        f"fuzz: {verdict}: {total} cases ({', '.join(per_run)}) over {tested}/{len(operations)} operations, "
        f"{total_failures} failures, {total_errors} errors{other}"
    )
    return 1 if problems else 0


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "cookie-name":
        print(cookie_name(rest[0]))
        return 0
    if command == "set-cookie":
        print(set_cookie(rest[0]))
        return 0
    if command == "with-cookie-name":
        with_cookie_name(rest[0], rest[1], rest[2])
        return 0
    if command == "summary":
        return summary(rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
