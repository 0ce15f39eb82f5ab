"""``explain`` for people: the Outcome as a short report."""

from __future__ import annotations

from gateway.explain.outcome import Outcome


def render(outcome: Outcome) -> str:
    req = outcome["request"]
    lines = [f"{req['method']} {req['url']} (host {req['host']}:{req['port']}"
             + (f", credential {req['credential']})" if req["credential"] else ")")]
    route = outcome["route"]
    if route is None:
        lines.append("route:    none")
    else:
        lines.append(f"route:    {route['service']}/{route['route']} ({route['spec_path']}; priority "
                     f"{route['priority']}; matched {route['matched_path'] or '(no path)'})")
        lines.append(f"service:  {route['service']}")
    if outcome["consumer"]:
        lines.append(f"consumer: {outcome['consumer']}"
                     + (f" (credential {outcome['credential']})" if outcome["credential"] else " (anonymous)"))
    if outcome["plugins"]:
        lines.append("plugins (Kong's order):")
        width = max(len(step["name"]) for step in outcome["plugins"])
        for step in outcome["plugins"]:
            prio = str(step["priority"]) if step["priority"] is not None else "?"
            mark = " " if step["ran"] else "-"
            lines.append(f"  {mark} {prio:>6} {step['name']:<{width}}  [{step['scope']}]  {step['decision']}")
    for bucket in outcome["buckets"]:
        limits = ", ".join(f"{v:g}/{p}" for p, v in bucket["limits"].items())
        lines.append(f"bucket:   {bucket['key']} ({limits})")
    lang = outcome["language"]
    if lang is not None:
        script = f" (script {lang['script']})" if lang["script"] else ""
        lines.append(f"language: {lang['language'] or '-'}{script} from {lang['source'] or '-'} -> upstream "
                     f"{lang['upstream'] or '(unchanged)'}, serviceId {lang['service_id'] or '-'}"
                     + (f" [error: {lang['error']}]" if lang["error"] else ""))
    if outcome["status"] is not None:
        lines.append(f"answer:   {outcome['status']} from {outcome['answered_by']} (not proxied)")
    up = outcome["upstream"]
    if up is not None:
        query = f"?{up['query']}" if up["query"] else ""
        lines.append(f"upstream: {up['scheme']}://{up['host']} {up['method']} {up['path']}{query} "
                     f"(targets {', '.join(up['targets'])})")
        for name, value in up["headers"].items():
            lines.append(f"  > {name}: {value}")
    for name, value in outcome["response_headers"].items():
        lines.append(f"  < {name}: {value}")
    for note in outcome["notes"]:
        lines.append(f"note:     {note}")
    return "\n".join(lines) + "\n"
