#!/usr/bin/python3
"""Checks that the docs and the code name the same things: metrics, frame types, error codes,
close reasons, HTTP paths and config keys. Each name the code defines must appear where users look
(README.md, docs/*.md, config/sluice.yaml), and each such name the docs mention must exist in the
code. Prints every mismatch and exits 1 if there is any.
    scripts/check-docs.py"""

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The product's own code; the load generator (bench/client/) is a tool of its own.
CODE_DIRS = ["protocol", "actors", "transport", "core", "security", "config", "bin"]
DOCS = ["README.md"] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def code_files():
    for d in CODE_DIRS:
        for path in sorted(glob.glob(os.path.join(ROOT, d, "**", "*.[ch]pp"), recursive=True)):
            if not os.path.basename(path).startswith("bench_"):
                yield os.path.relpath(path, ROOT)


def code_text():
    return {path: read(path) for path in code_files()}


def docs_text():
    return {os.path.relpath(p, ROOT): read(p) for p in DOCS}


def expand_braces(token):
    """chat_{a,b}_x -> [chat_a_x, chat_b_x]; braces without a comma (labels) are dropped."""
    m = re.search(r"\{([^{}]*)\}", token)
    if not m:
        return [token]
    head, tail = token[:m.start()], token[m.end():]
    if "," not in m.group(1):
        return expand_braces(head + tail)
    out = []
    for alternative in m.group(1).split(","):
        out += expand_braces(head + alternative + tail)
    return out


def compare(kind, in_code, in_docs, patterns=()):
    """Both ways; `patterns` are doc names with `*` (each must match something in the code)."""
    problems = []
    for name in sorted(in_code):
        if name not in in_docs and not any(re.fullmatch(p, name) for p in patterns):
            problems.append(f"{kind} `{name}` is in the code but not in the docs ({in_code[name]})")
    for name in sorted(in_docs):
        if name not in in_code:
            problems.append(f"{kind} `{name}` is in the docs ({in_docs[name]}) but not in the code")
    for p in patterns:
        if not any(re.fullmatch(p, n) for n in in_code):
            problems.append(f"{kind} pattern `{p}` in the docs matches nothing in the code")
    return problems


def metrics(code, docs):
    in_code = {}
    for path, text in code.items():
        for name in re.findall(r'"(sluice_[a-z0-9_]+)"', text):
            in_code.setdefault(name, path)
    in_docs, patterns = {}, []
    for path, text in docs.items():
        for token in re.findall(r"`(sluice_[a-zA-Z0-9_{},*=\"]+)", text):
            # A brace group at the end names labels; one inside, alternatives.
            for name in expand_braces(re.sub(r"\{[^{}]*\}$", "", token)):
                if "*" in name:
                    patterns.append(re.escape(name).replace(r"\*", "[a-z0-9_]+"))
                elif re.fullmatch(r"sluice_[a-z0-9_]+", name):
                    in_docs.setdefault(name, path)
    return compare("metric", in_code, in_docs, patterns)


def error_codes(code, docs):
    in_code = {n: "core/error_code.cpp" for n in re.findall(r'return "([a-z_]+)";',
                                                            code["core/error_code.cpp"])}
    table = section(docs["docs/protocol.md"], "## Error codes")
    in_docs = {n: "docs/protocol.md" for n in re.findall(r"^\| `([a-z_]+)` \|", table, re.M)}
    return compare("error code", in_code, in_docs)


def frame_types(code, docs):
    in_code = {}
    for path, text in code.items():
        for pattern in (r'typed\("([a-z_]+)"', r'"type", "([a-z_]+)"', r'type [!=]= "([a-z_]+)"'):
            for name in re.findall(pattern, text):
                in_code.setdefault(name, path)
    # A backend's own object in `data` names its own types (typed events), not Sluice's.
    protocol = re.sub(r'"data":\{[^{}]*\}', "", docs["docs/protocol.md"])
    in_docs = {n: "docs/protocol.md" for n in re.findall(r'"type":"([a-z_]+)"', protocol)}
    return compare("frame type", in_code, in_docs)


def close_reasons(code, docs):
    in_code = {}
    for path, text in code.items():
        for reason in re.findall(r'close_code::\w+,\s*"([^"]*)"', text):
            in_code.setdefault(reason, path)
    # Reasons that are an error code's name (the session closes with to_string(code)).
    for code_name in ("forbidden", "too_many_topics", "owner_unavailable", "engine_unavailable",
                      "token_expired"):
        in_code.setdefault(code_name, "actors/session/session.cpp")
    table = section(docs["docs/protocol.md"], "## Close codes")
    in_docs, patterns = {}, []
    for reason in re.findall(r"^\| \d{4} \| `([^`]*)` \|", table, re.M):
        if re.search(r"\b[NT]\b", reason):  # a reason with numbers and names filled in
            patterns.append(re.sub(r"\\b[NT]\\b|\b[NT]\b", "", re.escape(reason)))
            in_code = {r: p for r, p in in_code.items() if not r.startswith(reason.split(" N ")[0])}
        else:
            in_docs.setdefault(reason, "docs/protocol.md")
    return compare("close reason", in_code, in_docs)


# Prefixes the code matches that end in a parameter, as the docs write them.
PARAMETER_PATHS = {"/api/quotas": "/api/quotas/{principal}"}
# Paths under a prefix the code reads part by part (api_request.cpp, parse_services).
SUB_PATHS = {"/api/services": ["/api/services/{name}", "/api/services/{name}/start"]}


def http_paths(code, docs):
    in_code = {}
    for path in ("transport/http/http_endpoints.hpp", "transport/http/http_endpoints.cpp",
                 "transport/http/api_request.hpp", "transport/http/api_request.cpp"):
        for p in re.findall(r'"(/(?:healthz|readyz|metrics|ws|workers|api/[a-z/]*))"', code[path]):
            p = p.rstrip("/")
            if p not in ("/api", "/api/topics/history"):
                in_code.setdefault(PARAMETER_PATHS.get(p, p), path)
                for sub_path in SUB_PATHS.get(p, []):
                    in_code.setdefault(sub_path, path)
    in_code.setdefault("/api/topics/{name}", "transport/http/api_request.cpp")
    # The dashboard's prefix (static_pages.hpp), served as "/dashboard/".
    if re.search(r'dashboard_prefix = "/dashboard"', code["transport/http/static_pages.hpp"]):
        in_code.setdefault("/dashboard/", "transport/http/static_pages.hpp")
    # The paths under one topic: the suffixes api_request.cpp looks for.
    for suffix in re.findall(r'constexpr std::string_view \w+ = "(/[a-z]+)";',
                             code["transport/http/api_request.cpp"]):
        in_code.setdefault("/api/topics/{name}" + suffix, "transport/http/api_request.cpp")
    table = section(docs["docs/protocol.md"], "## HTTP on the same port")
    in_docs = {}
    for p in re.findall(r"`(?:GET|POST|HEAD) (/[^ `?]*)", table):
        in_docs.setdefault(p, "docs/protocol.md")
    return compare("HTTP path", in_code, in_docs)


# Config keys the code reads: in open_map() key lists, as the third argument of
# a yaml_reader read_*() call or the fourth of read_access(), or as node["key"].
CONFIG_KEY_PATTERNS = (
    r'open_map\([^{;]*\{([^}]*)\}',
    r'keys\{([^}]*)\}',
    r'keys\.insert\([^;]*\{([^}]*)\}',
    r'\.read_[a-z_]+\(\s*[^,()]+,\s*[^,()]+,\s*("[a-z_]+")',
    r'read_access\(r, [^,]+, [^,]+, ("[a-z_]+")',
    r'node\[("[a-z_]+")\]',
)
# In config/sluice.yaml, the children of these are names a config chooses, not keys.
NAMED_ENTRIES = {"upstreams", "routes", "patterns", "api_keys", "http_api_keys", "services"}


def config_keys(code, docs):
    in_code = {}
    for path, text in code.items():
        if path.startswith("config/"):
            for pattern in CONFIG_KEY_PATTERNS:
                for group in re.findall(pattern, text):
                    for key in re.findall(r'"([a-z_]+)"', group):
                        in_code.setdefault(key, path)
    return compare("config key", in_code, documented_config_keys())


def documented_config_keys():
    """Keys in config/sluice.yaml, in its settings and in its commented-out examples (read as
    YAML once their comment mark is taken off), with the keys of inline maps."""
    keys, parents = {}, []  # parents: (indent, key) of the enclosing mappings
    for line in read("config/sluice.yaml").splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            text = stripped[1:]
            text = text[1:] if text.startswith(" ") else text
            line = " " * (len(line) - len(stripped)) + text
            if text.lstrip().startswith("#"):  # a comment inside a commented example
                continue
        m = re.match(r"^(\s*)(- )?(\"[^\"]+\"|[a-z_][a-z0-9_.*-]*):(\s|$)(.*)", line)
        if not m:
            continue
        indent = len(m.group(1)) + (2 if m.group(2) else 0)
        while parents and parents[-1][0] >= indent:
            parents.pop()
        key, rest = m.group(3), m.group(5)
        named = parents and parents[-1][1] in NAMED_ENTRIES
        if not named and re.fullmatch(r"[a-z_]+", key):
            keys.setdefault(key, "config/sluice.yaml")
        for inline in re.findall(r"[{,]\s*([a-z_]+):", rest):
            keys.setdefault(inline, "config/sluice.yaml")
        parents.append((indent, key))
    return keys


def section(text, heading):
    """The text under `heading` up to the next heading of the same level."""
    start = text.index(heading)
    level = heading.split(" ")[0] + " "
    end = text.find("\n" + level, start + len(heading))
    return text[start:end if end >= 0 else len(text)]


def main():
    code, docs = code_text(), docs_text()
    problems = []
    for check in (metrics, error_codes, frame_types, close_reasons, http_paths, config_keys):
        problems += check(code, docs)
    for p in problems:
        print("check-docs: " + p)
    if problems:
        print(f"check-docs: {len(problems)} mismatch(es) between the docs and the code")
        return 1
    print("check-docs: metrics, frame types, error codes, close reasons, HTTP paths and config "
          "keys agree between the docs and the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
