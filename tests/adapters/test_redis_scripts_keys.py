"""Every key a Lua script touches is one its caller declared in KEYS (issue 14): Redis Cluster
routes a script by its declared keys only, so a key built inside a script (a prefix joined to a
name found on the way) could live on another node, and a future split of the data over several
slots would break it silently. Read statically from the scripts' text: every keyed
`redis.call` names a KEYS entry, or a helper's parameter that every caller fills from KEYS."""

from __future__ import annotations

import re

from moderator.adapters.redis import scripts

#: Local names a script may pass to redis.call as a key: helper parameters and `local h =
#: KEYS[1]`; the checks below hold them to KEYS at every binding.
_KEY_NAMES = {"h", "key", "claims", "chain", "outbox", "refs"}
_KEYLESS = {"TIME"}
#: Helper functions whose leading parameters are keys: name -> how many.
_HELPERS = {"enqueue": 3, "holder": 1, "hold": 1, "enabled_admin": 1, "back_to_scoring": 1}
_KEYS_ENTRY = re.compile(r"KEYS\[[^\]]+\]$")


def _texts() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(scripts).items()
        if isinstance(value, str) and "redis.call" in value
    }


def _args(text: str, start: int) -> list[str]:
    """The comma-separated arguments of the call whose '(' is at `start` (top level only)."""
    depth, out, current = 0, [], ""
    for ch in text[start + 1 :]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    out.append(current.strip())
    return out


def test_every_keyed_redis_call_names_a_declared_key() -> None:
    texts = _texts()
    assert len(texts) > 25
    checked = 0
    for name, text in texts.items():
        for call in re.finditer(r"redis\.call\(", text):
            command, *rest = _args(text, call.end() - 1)
            if command.strip("'\"") in _KEYLESS:
                continue
            key = rest[0]
            assert _KEYS_ENTRY.match(key) or key in _KEY_NAMES, f"{name}: redis.call key {key}"
            checked += 1
    assert checked > 150


def test_the_key_names_are_bound_to_declared_keys_only() -> None:
    for name, text in _texts().items():
        for found in re.finditer(r"local (\w+) = ([^\n]+)", text):
            if found.group(1) in _KEY_NAMES:
                assert found.group(2).strip() == "KEYS[1]", f"{name}: {found.group(0)}"
        for found in re.finditer(r"for _, (\w+) in ipairs\((\w+)\)", text):
            if found.group(1) in _KEY_NAMES:
                assert found.group(2) == "KEYS", f"{name}: {found.group(0)}"
        for helper, n in _HELPERS.items():
            for call in re.finditer(rf"(?<![\w.]){helper}\(", text):
                if text[max(0, call.start() - 9) : call.start()].endswith("function "):
                    continue
                for key in _args(text, call.end() - 1)[:n]:
                    assert _KEYS_ENTRY.match(key) or key == "h", f"{name}: {helper}({key}, …)"


def test_the_check_catches_a_key_built_inside_a_script() -> None:
    built = "redis.call('GET', ARGV[1] .. ref)"
    command, key = _args(built, built.index("("))
    assert command == "'GET'" and not (_KEYS_ENTRY.match(key) or key in _KEY_NAMES)
